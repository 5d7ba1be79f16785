package testheap

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// Objects is the heap held by objects, live or not yet collected.
func Objects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Live is the live heap: Objects right after a collection.
func Live() uint64 {
	runtime.GC()
	return Objects()
}

// Peak runs fn and returns the highest Objects seen while it ran, sampled
// every 2 ms.
func Peak(fn func()) uint64 {
	var peak atomic.Uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := Objects(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-sampled
	return peak.Load()
}
