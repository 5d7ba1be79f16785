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
