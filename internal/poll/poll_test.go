package poll

import (
	"context"
	"testing"
	"time"
)

func TestEveryRunsAtOnceAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan struct{}, 10)
	done := make(chan struct{})
	go func() {
		Every(ctx, time.Hour, func(context.Context) { calls <- struct{}{} })
		close(done)
	}()
	select {
	case <-calls: // the first call does not wait for the interval
	case <-time.After(10 * time.Second):
		t.Fatal("no call at once")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Every did not return after its context was cancelled")
	}
}

func TestRoundBound(t *testing.T) {
	for _, c := range []struct {
		n, concurrency int
		perSecond      float64
		timeout, want  time.Duration
	}{
		{0, 8, 20, 2 * time.Second, 0},
		{1, 8, 20, 2 * time.Second, 2 * time.Second},
		// The defaults at 1,000 workloads' two probes: 100 s of starts,
		// 250 waves of 2 s.
		{2000, 8, 20, 2 * time.Second, 99950*time.Millisecond + 500*time.Second},
		{9, 4, 1000, time.Second, 8*time.Millisecond + 3*time.Second},
	} {
		if got := RoundBound(c.n, c.perSecond, c.concurrency, c.timeout); got != c.want {
			t.Errorf("RoundBound(%d, %v, %d, %v) = %v, want %v", c.n, c.perSecond, c.concurrency, c.timeout, got, c.want)
		}
	}
}
