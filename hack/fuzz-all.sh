#!/usr/bin/env bash
# Fuzzes every Fuzz function of the module (found, not listed by hand) for
# FUZZTIME each (default 10m) and writes what ran and what it found to
# bench/fuzz.txt: per target the executions, the interesting inputs the
# fuzzer holds (its corpus in GOCACHE), the failing inputs added under
# testdata/fuzz (kept there, so a plain go test reproduces them) and each
# failure's output. Then the interesting inputs are kept in testdata/fuzz
# (hack/fuzz-keep-corpus.sh; FUZZ_KEEP_CORPUS=0 skips it). Exits 1 if a
# target failed.
#
# FUZZ_JOBS targets run at once, each with FUZZ_PARALLEL workers (defaults:
# one target with every core). Two jobs of one worker each halve the wall
# time on a two-core machine while every target still gets FUZZTIME.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10m}"
jobs="${FUZZ_JOBS:-1}"
parallel="${FUZZ_PARALLEL:-$(nproc)}"
out="${FUZZ_RESULTS:-bench/fuzz.txt}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
module="$(go list -m)"

# One line per target: <index> <package> <function> <package dir>.
i=0
for pkg in $(go list ./...); do
  dir="$(go list -f '{{.Dir}}' "$pkg")"
  for fn in $(grep -h '^func Fuzz' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/'); do
    i=$((i + 1))
    echo "$i $pkg $fn $dir"
  done
done >"$work/targets"

fuzz_one() {
  local idx="$1" pkg="$2" fn="$3" dir="$4"
  local before after result execs interesting log="$work/$idx.log" start end
  before=$(ls "$dir/testdata/fuzz/$fn" 2>/dev/null | wc -l)
  start=$(date +%s)
  if go test "$pkg" -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" -parallel "$parallel" >"$log" 2>&1; then
    result=ok
  else
    result=FAIL
  fi
  end=$(date +%s)
  execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  interesting=$(grep -oE 'total: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  after=$(ls "$dir/testdata/fuzz/$fn" 2>/dev/null | wc -l)
  {
    echo "${pkg#"$module"/}.$fn  $result  $((end - start))s  ${execs:-0}  ${interesting:-0}  $((after - before))"
    if [ "$result" = FAIL ]; then
      sed 's/^/    /' "$log" | tail -20
    fi
  } >"$work/$idx.result"
}
export -f fuzz_one
export work fuzztime parallel module

xargs -P "$jobs" -L 1 bash -c 'fuzz_one "$@"' _ <"$work/targets"

{
  echo "# go test -fuzz, every Fuzz function for $fuzztime each (hack/fuzz-all.sh)"
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null)  go: $(go env GOVERSION)  cores: $(nproc)  jobs: $jobs  workers per target: $parallel"
  echo "# target  result  wall  execs  interesting-inputs  new-failing-inputs-in-testdata"
  for f in $(cut -d' ' -f1 "$work/targets"); do cat "$work/$f.result"; done
  if [ "${FUZZ_KEEP_CORPUS:-1}" = 1 ]; then
    echo "# interesting inputs kept in testdata/fuzz (hack/fuzz-keep-corpus.sh)"
    bash hack/fuzz-keep-corpus.sh
  fi
} >"$work/out"
cp "$work/out" "$out"
cat "$out"
! grep -q '  FAIL  ' "$out"
