package testenv

import (
	"testing"
	"time"
)

// Eventually calls check every 50ms until it returns nil, and fails the
// test with check's last error after limit. Watches are asynchronous: a
// change made through the API server reaches an informer a moment later.
func Eventually(t testing.TB, limit time.Duration, check func() error) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		select {
		case <-deadline.C:
			t.Fatalf("not true after %s: %v", limit, err)
		case <-tick.C:
		}
	}
}
