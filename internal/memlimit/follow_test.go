package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLiveLimitFollowsTheLiveHeap(t *testing.T) {
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
	t.Setenv("GOMEMLIMIT", "")
	for range 100 {
		held = append(held, make([]byte, 1<<20))
	}
	defer func() { held = nil }()
	runtime.GC()
	live := int64(liveHeap())
	if live < 100<<20 || live > 120<<20 {
		t.Fatalf("live heap %d MiB with 100 MiB held", live>>20)
	}
	for _, tc := range []struct {
		name string
		l    LiveLimit
		want int64
	}{
		{"twice the live heap", LiveLimit{Ratio: 2, Floor: 64 << 20}, 2 * live},
		{"floor", LiveLimit{Ratio: 2, Floor: 1 << 30}, 1 << 30},
		{"ceiling", LiveLimit{Ratio: 2, Floor: 64 << 20, Ceiling: 150 << 20}, 150 << 20},
	} {
		got := tc.l.Apply()
		if got != tc.want || debug.SetMemoryLimit(-1) != tc.want {
			t.Errorf("%s: Apply = %d, runtime limit %d, want %d", tc.name, got, debug.SetMemoryLimit(-1), tc.want)
		}
	}
	runtime.KeepAlive(held)
}

func TestLiveLimitLeavesGOMEMLIMIT(t *testing.T) {
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
	t.Setenv("GOMEMLIMIT", "3GiB")
	debug.SetMemoryLimit(3 << 30)
	if got := (LiveLimit{Ratio: 2, Floor: 64 << 20}).Apply(); got != 0 || debug.SetMemoryLimit(-1) != 3<<30 {
		t.Errorf("Apply under GOMEMLIMIT = %d, limit %d; want 0 and the user's 3 GiB", got, debug.SetMemoryLimit(-1))
	}
}

func TestReleaserThenRunsAfterEachRelease(t *testing.T) {
	r := NewReleaser(1 << 20)
	then := make(chan struct{}, 1)
	r.Then = func() { then <- struct{}{} }
	allocate(4 << 20)
	r.After()
	select {
	case <-then:
	case <-time.After(10 * time.Second):
		t.Fatal("Then did not run after a release")
	}
}
