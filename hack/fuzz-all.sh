#!/usr/bin/env bash
# Fuzzes every Fuzz function of the module (found, not listed by hand) for
# FUZZTIME each (default 10m) and writes what ran and what it found to
# bench/fuzz.txt: per target the executions, the interesting inputs the
# fuzzer holds (its corpus in GOCACHE), the failing inputs added under
# testdata/fuzz (kept there, so a plain go test reproduces them) and each
# failure's output. Exits 1 if a target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10m}"
out="${FUZZ_RESULTS:-bench/fuzz.txt}"
tmp="$(mktemp)"
failed=0
{
  echo "# go test -fuzz, every Fuzz function for $fuzztime each (hack/fuzz-all.sh)"
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD 2>/dev/null)  go: $(go env GOVERSION)  cores: $(nproc)"
  echo "# target  result  execs  interesting-inputs  new-failing-inputs-in-testdata"
} >"$tmp"
for pkg in $(go list ./...); do
  dir="$(go list -f '{{.Dir}}' "$pkg")"
  for fn in $(grep -h '^func Fuzz' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/'); do
    before=$(ls "$dir/testdata/fuzz/$fn" 2>/dev/null | wc -l)
    log="$(mktemp)"
    if go test "$pkg" -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" >"$log" 2>&1; then
      result=ok
    else
      result=FAIL
      failed=1
    fi
    execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
    interesting=$(grep -oE 'total: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
    after=$(ls "$dir/testdata/fuzz/$fn" 2>/dev/null | wc -l)
    echo "${pkg#github.com/kube-reliability/kube-reliability-exporter/}.$fn  $result  ${execs:-0}  ${interesting:-0}  $((after - before))" >>"$tmp"
    if [ "$result" = FAIL ]; then
      sed 's/^/    /' "$log" | tail -20 >>"$tmp"
    fi
    rm -f "$log"
  done
done
mv "$tmp" "$out"
cat "$out"
exit "$failed"
