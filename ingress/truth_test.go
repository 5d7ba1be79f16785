package ingress

import (
	"context"
	"fmt"
	"math"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// startNginx runs Debian's nginx (master and workers as root, so this test
// can read their fds without CAP_SYS_PTRACE) in front of backend.
func startNginx(t *testing.T, backend string, shutdownTimeout string) (port int, pid int) {
	t.Helper()
	n := testenv.StartNginx(t, testenv.NginxSpec{Backend: backend, ShutdownTimeout: shutdownTimeout})
	return n.Port, n.PID
}

// TestReloadDropsTruth: the truth test. 200 clients hold streaming
// responses through a real nginx with worker_shutdown_timeout 5s; nginx is
// reloaded 4 times; the tracker must count exactly 4 reloads and drops
// within 5% of what the clients saw. Both ways of reading sockets are held
// to it: through the workers' fds (pidfd_getfd) and from the socket table.
func TestReloadDropsTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real nginx with 200 clients")
	}
	for _, direct := range []bool{true, false} {
		// One after the other: on 2 cores, two nginx under 200 streams each
		// slow their forced closes enough for a sample to land inside
		// one and count part of it (countHeld reads fds at one instant).
		t.Run(map[bool]string{true: "fds", false: "table"}[direct], func(t *testing.T) {
			reloadDropsTruth(t, direct)
		})
	}
}

func reloadDropsTruth(t *testing.T, direct bool) {
	const clients, reloads = 200, 4
	backend, active := testenv.StreamingBackend(t)
	port, pid := startNginx(t, backend, "5s")
	tr := NewTracker("/proc", nil)
	tr.direct = direct

	ctx, cancel := context.WithCancel(context.Background())
	sampling := make(chan struct{})
	go func() {
		defer close(sampling)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			_ = tr.Sample()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	drops, wait := testenv.HoldClients(ctx, port, clients)
	defer func() { cancel(); wait(); <-sampling }()

	instance := func() Instance {
		for _, in := range tr.Instances() {
			if in.Listen == fmt.Sprint(port) {
				return in
			}
		}
		return Instance{}
	}
	held := func(what string) func() error {
		return func() error {
			if n := active.Load(); n != clients {
				return fmt.Errorf("%s: %d streams in flight, want %d", what, n, clients)
			}
			in := instance()
			if in.Listen == "" {
				return fmt.Errorf("%s: the tracker has not seen nginx yet", what)
			}
			if in.ShuttingDown != 0 {
				return fmt.Errorf("%s: %d workers still shutting down", what, in.ShuttingDown)
			}
			return nil
		}
	}
	testenv.Eventually(t, 30*time.Second, held("before the first reload"))
	for i := 1; i <= reloads; i++ {
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 30*time.Second, func() error {
			if in := instance(); in.Reloads != uint64(i) {
				procs, _ := Scan("/proc")
				return fmt.Errorf("reloads %d, want %d (instances %+v, errors %v, procs %d)", in.Reloads, i, tr.Instances(), tr.Errors(), len(procs))
			}
			return nil
		})
		testenv.Eventually(t, 30*time.Second, held(fmt.Sprintf("after reload %d", i)))
	}
	in := instance()
	seen := drops.Load()
	t.Logf("reloads %d; drops: tracker %d, clients %d", in.Reloads, in.Dropped, seen)
	if in.Reloads != reloads {
		t.Errorf("reloads %d, want %d", in.Reloads, reloads)
	}
	if seen < clients*reloads*9/10 {
		t.Errorf("clients saw only %d drops: the scenario did not cut connections as designed", seen)
	}
	if diff := math.Abs(float64(in.Dropped) - float64(seen)); diff > 0.05*float64(seen) {
		t.Errorf("tracker counted %d drops, clients saw %d (off by more than 5%%); read errors %v", in.Dropped, seen, tr.Errors())
	}
	if !strings.Contains(in.Listen, fmt.Sprint(port)) {
		t.Errorf("instance listens on %q, want %d", in.Listen, port)
	}
	if tr.direct != direct {
		t.Errorf("reading sockets through fds was given up: errors %v", tr.Errors())
	}
}

// TestTwoInstancesCountedApart: two nginx masters on one node, reloaded a
// different number of times, each with its own clients: their reloads and
// drops are counted apart.
func TestTwoInstancesCountedApart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real nginx instances")
	}
	const clients = 50
	backend, active := testenv.StreamingBackend(t)
	portA, pidA := startNginx(t, backend, "5s")
	portB, pidB := startNginx(t, backend, "5s")
	tr := NewTracker("/proc", nil)
	ctx, cancel := context.WithCancel(context.Background())
	sampling := make(chan struct{})
	go func() { defer close(sampling); tr.Run(ctx, 250*time.Millisecond) }()
	dropsA, waitA := testenv.HoldClients(ctx, portA, clients)
	dropsB, waitB := testenv.HoldClients(ctx, portB, clients)
	defer func() { cancel(); waitA(); waitB(); <-sampling }()

	get := func(port int) Instance {
		for _, in := range tr.Instances() {
			if in.Listen == fmt.Sprint(port) {
				return in
			}
		}
		return Instance{}
	}
	settled := func() error {
		if n := active.Load(); n != 2*clients {
			return fmt.Errorf("%d streams in flight, want %d", n, 2*clients)
		}
		for _, port := range []int{portA, portB} {
			in := get(port)
			if in.Listen == "" || in.ShuttingDown != 0 {
				return fmt.Errorf("instance on %d: %+v", port, in)
			}
		}
		return nil
	}
	testenv.Eventually(t, 30*time.Second, settled)
	for i, pid := range []int{pidA, pidB, pidA} {
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		want := map[int]uint64{0: 1, 1: 1, 2: 2}[i]
		port := map[int]int{pidA: portA, pidB: portB}[pid]
		testenv.Eventually(t, 30*time.Second, func() error {
			if in := get(port); in.Reloads != want {
				return fmt.Errorf("instance on %d: reloads %d, want %d", port, in.Reloads, want)
			}
			return nil
		})
		testenv.Eventually(t, 30*time.Second, settled)
	}
	a, b := get(portA), get(portB)
	t.Logf("A: reloads %d drops %d (clients %d); B: reloads %d drops %d (clients %d)", a.Reloads, a.Dropped, dropsA.Load(), b.Reloads, b.Dropped, dropsB.Load())
	if a.Reloads != 2 || b.Reloads != 1 {
		t.Errorf("reloads A %d B %d, want 2 and 1", a.Reloads, b.Reloads)
	}
	for name, pair := range map[string][2]int64{"A": {int64(a.Dropped), dropsA.Load()}, "B": {int64(b.Dropped), dropsB.Load()}} {
		if math.Abs(float64(pair[0]-pair[1])) > 0.05*float64(pair[1]) || pair[1] == 0 {
			t.Errorf("instance %s: tracker %d drops, clients saw %d", name, pair[0], pair[1])
		}
	}
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
