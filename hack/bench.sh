#!/usr/bin/env bash
# Runs the benchmarks and writes their numbers, with the machine and the
# date, to bench/results.txt (checked in, so changes show up in review).
# Compare two runs with benchstat: go run golang.org/x/perf/cmd/benchstat@latest old new
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results.txt
mkdir -p bench
count=${BENCH_COUNT:-5}
{
  echo "# kube-reliability-exporter benchmarks"
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "# go: $(go version)"
  echo "# command: go test -run '^\$' -bench . -benchmem -count $count ./internal/placement ./collector"
  echo
  go test -run '^$' -bench . -benchmem -count "$count" ./internal/placement ./collector
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
