package memlimit

import (
	"math"
	"runtime/debug"
)

// LiveLimit keeps the runtime's soft memory limit at a multiple of the
// live heap. GOGC bounds the heap by the live data of the last collection,
// but a burst (an analysis round's working set) raises that live data,
// and with it the next goal, and the pages the burst freed stay mapped
// until the scavenger gets to them. Under a soft limit the runtime
// collects more often as memory nears it and returns free pages at once:
// what a burst may add is then bounded by the steady live set, not by
// itself. It is soft: past it, the collector takes at most half the CPU
// and memory grows on, never an out-of-memory loop.
type LiveLimit struct {
	// Ratio is the limit as a multiple of the live heap.
	Ratio float64
	// Floor is the least limit set: small heaps would otherwise be
	// collected over and over for a few MB.
	Floor int64
	// Ceiling, when above 0, is never exceeded: the limit derived from
	// the container's (Set).
	Ceiling int64
}

// Apply sets the limit from the live heap of the last collection (exact
// right after a forced one) and returns it; 0 when GOMEMLIMIT is set,
// which wins.
func (l LiveLimit) Apply() int64 {
	if envLimitSet() {
		return 0
	}
	limit := max(l.Floor, int64(math.Min(l.Ratio*float64(liveHeap()), math.MaxInt64/2)))
	if l.Ceiling > 0 {
		limit = min(limit, l.Ceiling)
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// liveHeap is the heap marked live by the last collection.
func liveHeap() uint64 { return runtimeMetric("/gc/heap/live:bytes") }
