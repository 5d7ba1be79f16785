package kube

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running: informers, watchers and the gate must end with their context.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
