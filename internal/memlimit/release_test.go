package memlimit

import (
	"testing"
	"time"
)

var sink []byte

// held keeps a burst's memory live until the test drops it.
var held [][]byte

// allocate allocates n bytes on the heap, in 1 MiB pieces.
func allocate(n int) {
	for i := 0; i < n; i += 1 << 20 {
		sink = make([]byte, 1<<20)
	}
	sink = nil
}

func TestReleaserReleasesOncePerThreshold(t *testing.T) {
	calls := make(chan struct{}, 10)
	block := make(chan struct{})
	r := NewReleaser(32 << 20)
	r.free = func() { calls <- struct{}{}; <-block }

	r.After()
	allocate(8 << 20)
	r.After()
	select {
	case <-calls:
		t.Fatal("released before 32 MiB were allocated")
	case <-time.After(50 * time.Millisecond):
	}

	allocate(40 << 20)
	r.After()
	select {
	case <-calls:
	case <-time.After(5 * time.Second):
		t.Fatal("not released after 48 MiB were allocated")
	}
	// One at a time: more allocation while the first still runs starts
	// no second.
	allocate(40 << 20)
	r.After()
	close(block)
	deadline := time.Now().Add(5 * time.Second)
	for r.Released() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := r.Released(); got != 1 {
		t.Fatalf("released %d times, want 1", got)
	}
	select {
	case <-calls:
		t.Fatal("a second release started while the first ran")
	default:
	}
	// The allocation during the first release counts towards the next.
	allocate(40 << 20)
	r.After()
	select {
	case <-calls:
	case <-time.After(5 * time.Second):
		t.Fatal("not released after another 40 MiB")
	}
}

// TestReleaserReturnsMemory runs the real release: the free pages a burst
// leaves go back to the operating system.
func TestReleaserReturnsMemory(t *testing.T) {
	r := NewReleaser(64 << 20)
	// A burst: 128 MiB live at once, then garbage.
	for range 128 {
		held = append(held, make([]byte, 1<<20))
	}
	held = nil
	before := released()
	r.After()
	deadline := time.Now().Add(10 * time.Second)
	for r.Released() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if r.Released() != 1 {
		t.Fatal("no release after 128 MiB allocated")
	}
	if got := released() - before; got < 64<<20 {
		t.Fatalf("released %d MiB to the OS, want at least 64 of the 128 freed", got>>20)
	}
}

// released is the heap memory returned to the operating system.
func released() uint64 { return runtimeMetric("/memory/classes/heap/released:bytes") }

func TestNilReleaser(t *testing.T) {
	var r *Releaser
	r.After() // central without one: nothing happens
}
