package memlimit

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// Releaser hands the heap's free pages back to the operating system after
// a burst of allocation. Central's analyses allocate hundreds of MB in a
// few seconds when the cluster changes, then nothing while it does not;
// the runtime's background scavenger returns what they freed at about 1 %
// of a core, so RSS stays near the burst's peak for minutes. A Releaser
// collects and returns it at once (debug.FreeOSMemory), at the cost of one
// collection per burst.
type Releaser struct {
	// threshold is the bytes allocated since the last release that make
	// another worth its collection.
	threshold uint64

	mu       sync.Mutex
	last     uint64 // heap bytes allocated, cumulative, at the last release
	running  atomic.Bool
	released atomic.Uint64
	// free is debug.FreeOSMemory; tests count calls.
	free func()
	// Then runs after each release, when the live heap is exactly known
	// (a LiveLimit's Apply); nil: nothing. Set before the first After.
	Then func()
}

// NewReleaser returns a Releaser that releases after every threshold bytes
// allocated.
func NewReleaser(threshold uint64) *Releaser {
	return &Releaser{threshold: threshold, last: heapAllocated(), free: debug.FreeOSMemory}
}

// After is called when a burst may have ended (an analysis finished): when
// threshold bytes were allocated since the last release and no release is
// under way, it starts one in the background and returns at once.
func (r *Releaser) After() {
	if r == nil {
		return
	}
	r.mu.Lock()
	now := heapAllocated()
	if now-r.last < r.threshold || !r.running.CompareAndSwap(false, true) {
		r.mu.Unlock()
		return
	}
	r.last = now
	r.mu.Unlock()
	go func() {
		defer r.running.Store(false)
		r.free()
		if r.Then != nil {
			r.Then()
		}
		r.released.Add(1)
	}()
}

// Released counts the releases done.
func (r *Releaser) Released() uint64 { return r.released.Load() }

// heapAllocated is the bytes allocated on the heap since the process
// started.
func heapAllocated() uint64 { return runtimeMetric("/gc/heap/allocs:bytes") }

// runtimeMetric reads one of the runtime's uint64 metrics (runtime/metrics:
// no stop of the world, unlike ReadMemStats); 0 if this Go has no such one.
func runtimeMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
