// Package memlimit sets the Go runtime's soft memory limit from the
// container's memory limit (cgroup v2 memory.max or v1
// memory.limit_in_bytes) when GOMEMLIMIT is not set. Without it the heap
// grows to twice the live data before a collection (GOGC=100): a container
// limited to 256 MiB holding 150 MiB of caches would be OOM-killed while
// the Go runtime still had garbage to free.
//
// It never imports anything else of the exporter.
package memlimit
