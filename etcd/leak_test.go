package etcd

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running: background work must end with its context.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
