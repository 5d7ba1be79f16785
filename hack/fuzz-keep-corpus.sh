#!/usr/bin/env bash
# Copies the inputs the fuzzer found interesting (its corpus in GOCACHE)
# into each target's testdata/fuzz, so that a plain `go test` runs them as
# seeds on every machine and the next fuzzing run starts from them. Inputs
# over FUZZ_KEEP_MAX bytes (default 32768) stay behind: they would weigh on
# the repository more than they add. Prints per target how many it kept.
set -uo pipefail
cd "$(dirname "$0")/.."
cap="${FUZZ_KEEP_MAX:-32768}"
cache="$(go env GOCACHE)/fuzz"
for pkg in $(go list ./...); do
  dir="$(go list -f '{{.Dir}}' "$pkg")"
  for fn in $(grep -h '^func Fuzz' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/'); do
    src="$cache/$pkg/$fn"
    [ -d "$src" ] || continue
    dst="$dir/testdata/fuzz/$fn"
    mkdir -p "$dst"
    kept=0
    for f in "$src"/*; do
      name="$(basename "$f")"
      [ -e "$dst/$name" ] && continue
      [ "$(stat -c %s "$f")" -le "$cap" ] || continue
      cp "$f" "$dst/$name"
      kept=$((kept + 1))
    done
    echo "${pkg#"$(go list -m)"/}.$fn  kept $kept  now $(ls "$dst" | wc -l)"
  done
done
