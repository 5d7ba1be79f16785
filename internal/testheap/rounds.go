package testheap

import (
	"fmt"
	"testing"
	"time"
)

// Rounds are repeated runs of one round of work (probing or reading a
// thousand endpoints), each measured.
type Rounds struct {
	// Base is the live heap before the first round.
	Base      uint64
	Durations []time.Duration
	// Peaks are each round's heap peak over Base; After the live heap
	// after each round.
	Peaks, After []uint64
}

// Run runs round n times, failing t for a round that takes longer than
// bound.
func Run(t testing.TB, n int, bound time.Duration, round func()) Rounds {
	t.Helper()
	r := Rounds{Base: Live()}
	for range n {
		var took time.Duration
		peak := Peak(func() {
			start := time.Now()
			round()
			took = time.Since(start)
		})
		r.Durations = append(r.Durations, took.Round(time.Millisecond))
		r.Peaks = append(r.Peaks, peak-min(r.Base, peak))
		r.After = append(r.After, Live())
		if took > bound {
			t.Errorf("a round took %v, over its bound %v", took, bound)
		}
	}
	return r
}

// Check fails t for a round whose peak is over peakBound, and for a live
// heap that grows by more than 512 KiB from the second round to the last
// (the first builds the result maps; after it, nothing may pile up).
func (r Rounds) Check(t testing.TB, peakBound uint64) {
	t.Helper()
	for i, p := range r.Peaks {
		if p > peakBound {
			t.Errorf("round %d: heap peak %d MiB over the start, bound %d MiB", i+1, p>>20, peakBound>>20)
		}
	}
	if n := len(r.After); n >= 2 {
		if growth := int64(r.After[n-1]) - int64(r.After[1]); growth > 512<<10 {
			t.Errorf("heap after each round %v: grew %d KiB from round 2 to %d", r.After, growth>>10, n)
		}
	}
}

// String summarizes the rounds for the test's log.
func (r Rounds) String() string {
	shift := func(v []uint64, by uint) []uint64 {
		out := make([]uint64, len(v))
		for i, x := range v {
			out[i] = x >> by
		}
		return out
	}
	return fmt.Sprintf("durations %v; heap peak over the start per round %v MiB; live heap after each round %v KiB (start %d KiB)",
		r.Durations, shift(r.Peaks, 20), shift(r.After, 10), r.Base>>10)
}
