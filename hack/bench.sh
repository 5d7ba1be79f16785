#!/usr/bin/env bash
# Runs the benchmarks and writes their numbers, with the machine and the
# date, to bench/results.txt (checked in, so changes show up in review).
# Compare two runs with benchstat: go run golang.org/x/perf/cmd/benchstat@latest old new
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results.txt
mkdir -p bench
count=${BENCH_COUNT:-5}
# BENCH_ONLY=cost runs the agent cost measurement alone, BENCH_ONLY=micro
# the Go benchmarks alone, BENCH_ONLY=kinds the cache bytes per kind alone.
only=${BENCH_ONLY:-}
if [ -z "$only" ] || [ "$only" = micro ]; then
{
  echo "# kube-reliability-exporter benchmarks"
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "# go: $(go version)"
  echo "# command: go test -run '^\$' -bench . -benchmem -count $count ./internal/placement ./internal/loss ./internal/capacity ./internal/disruption ./internal/healthgraph ./internal/healthcheck ./collector"
  echo
  go test -run '^$' -bench . -benchmem -count "$count" ./internal/placement ./internal/loss ./internal/capacity ./internal/disruption ./internal/healthgraph ./internal/healthcheck ./collector
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
fi

# What one object of each kind costs in central's informer cache (decoded,
# trimmed, stored), the scale bench's shapes: bench/cache-bytes.txt.
if [ -z "$only" ] || [ "$only" = kinds ]; then
kinds=bench/cache-bytes.txt
{
  echo "# kube-reliability-exporter: live heap per cached object, by kind (BenchmarkCacheBytesPerKind)"
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# one run in a fresh process: the tables that share equal label maps and resource lists start empty"
  echo "# command: go test -run '^\$' -bench BenchmarkCacheBytesPerKind -benchtime 1x -count 1 ./test/scale"
  echo
  go test -run '^$' -bench BenchmarkCacheBytesPerKind -benchtime 1x -count 1 ./test/scale | grep -E '^Benchmark|^ok'
} > "$kinds.tmp"
mv "$kinds.tmp" "$kinds"
echo "wrote $kinds"
fi

# The agent's cost on a busy ingress node: the real binary, 10 real nginx
# instances, 10,000 held connections, 1 s sampling (needs nginx: make
# test-deps). Target: <= 25 MiB RSS, <= 1 % of one core.
[ -n "$only" ] && [ "$only" != cost ] && exit 0
cost=bench/agent-cost.txt
{
  echo "# kube-reliability-exporter agent cost (BenchmarkAgentCost)"
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "# command: go test -run '^\$' -bench BenchmarkAgentCost -benchtime 1x -count ${COST_COUNT:-3} ./cmd/kube-reliability-exporter"
  echo "# scenario: 10 nginx x 1,000 held downloads; 20 s steady, then 40 s in which each instance reloads once"
  echo "#   (worker_shutdown_timeout 5s: the old workers' ~1,000 connections are read every second, then dropped)"
  echo "# targets: <= 25 MiB RSS, <= 1 % of one core; the README reads the numbers against them"
  echo
  go test -run '^$' -bench BenchmarkAgentCost -benchtime 1x -count "${COST_COUNT:-3}" ./cmd/kube-reliability-exporter
} > "$cost.tmp"
mv "$cost.tmp" "$cost"
echo "wrote $cost"
