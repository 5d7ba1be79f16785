package collector

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running: the live tests start client-go informers, watchers, fetchers
// and probers on real API servers, and each must end with its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
