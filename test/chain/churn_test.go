package chain

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// churn forks and reaps short-lived processes (/bin/true) from workers
// goroutines until ctx ends, and returns how many it ran.
func churn(ctx context.Context, workers int) (ran *atomic.Int64, wait func()) {
	ran = &atomic.Int64{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
				if err != nil {
					continue
				}
				var ws syscall.WaitStatus
				_, _ = syscall.Wait4(pid, &ws, 0, nil)
				ran.Add(1)
			}
		})
	}
	return ran, wg.Wait
}

// TestAgentUnderProcessChurn (issue 16): the agent beside a real nginx
// holding 200 streaming connections, on a node where short-lived processes
// come and go by the thousand a second (its /proc scan races their
// births and deaths), while nginx is reloaded four times. The reload and
// drop counts must stay exact, the agent's CPU bounded, and its
// goroutines and heap where they were.
func TestAgentUnderProcessChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nginx and the agent; forks thousands of processes")
	}
	backend, _ := testenv.StreamingBackend(t)
	nginx := testenv.StartNginx(t, testenv.NginxSpec{StubStatus: true, Backend: backend, ShutdownTimeout: "3s"})
	holdCtx, stopHolding := context.WithCancel(context.Background())
	drops, held := testenv.HoldClients(holdCtx, nginx.Port, 200)
	defer func() { stopHolding(); held() }()
	// GOGC=10: the heap in use then stays within a tenth of the live heap,
	// so that comparing it before and after the churn measures what is
	// kept, not when the collector last ran.
	agent, agentLog := startExporter(t, "agent", "GOGC=10",
		fmt.Sprintf("RELIABILITY_NGINX_STUB_STATUS_URLS=http://127.0.0.1:%d/nginx_status", nginx.Port))
	defer func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", agentLog)
		}
	}()
	// The agent has seen nginx and every client is connected.
	testenv.Eventually(t, 30*time.Second, func() error {
		v, err := sum(agent, "kube_reliability_nginx_reloads_total")
		if err != nil {
			return err
		}
		if v != 0 {
			return fmt.Errorf("%v reloads before any", v)
		}
		fams, _, err := scrape(agent)
		if err != nil {
			return err
		}
		for _, m := range fams["kube_reliability_nginx_connections"].GetMetric() {
			if label(m, "state") == "active" && value(m) >= 200 {
				return nil
			}
		}
		return fmt.Errorf("nginx does not hold the 200 connections yet")
	})

	read := func(family string) float64 {
		t.Helper()
		v, err := sum(agent, family)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const window = 20 * time.Second
	cpu0, goroutines0, heap0 := read("process_cpu_seconds_total"), read("go_goroutines"), read("go_memstats_heap_inuse_bytes")
	time.Sleep(window)
	cpuIdle := read("process_cpu_seconds_total") - cpu0

	churnCtx, stopChurn := context.WithCancel(context.Background())
	ran, churned := churn(churnCtx, 6)
	cpu1 := read("process_cpu_seconds_total")
	start := time.Now()
	for range 4 {
		time.Sleep(window / 5)
		if err := syscall.Kill(nginx.PID, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(window - time.Since(start))
	cpuChurn := read("process_cpu_seconds_total") - cpu1
	stopChurn()
	churned()
	perSecond := float64(ran.Load()) / time.Since(start).Seconds()

	// Every shutting worker has exited (3 s timeout: three samples of the
	// shutting worker even on a busy machine) and been seen to.
	var reloads, dropped float64
	testenv.Eventually(t, 30*time.Second, func() error {
		reloads, dropped = read("kube_reliability_nginx_reloads_total"), read("kube_reliability_nginx_reload_dropped_connections_total")
		if reloads != 4 || dropped != float64(drops.Load()) {
			return fmt.Errorf("agent: %v reloads, %v dropped; nginx reloaded 4 times and the clients saw %d drops", reloads, dropped, drops.Load())
		}
		return nil
	})
	if drops.Load() < 200 {
		t.Errorf("the clients saw %d drops in 4 reloads of 200 held connections: the reloads did not cut them", drops.Load())
	}
	goroutines1, heap1 := read("go_goroutines"), read("go_memstats_heap_inuse_bytes")
	if perSecond < 500 {
		t.Errorf("only %.0f processes a second: not the churn this test is about", perSecond)
	}
	// Bounded: a tenth of a core while the node forks a thousand processes
	// a second. (Its idle cost, in the same run, is the reference.)
	if share := cpuChurn / window.Seconds(); share > 0.10 {
		t.Errorf("agent used %.3f s of CPU per second under churn (idle: %.3f)", share, cpuIdle/window.Seconds())
	}
	if goroutines1 > goroutines0+3 {
		t.Errorf("agent goroutines %v before the churn, %v after", goroutines0, goroutines1)
	}
	if heap1 > heap0+2<<20 {
		t.Errorf("agent heap in use %.1f MiB before the churn, %.1f MiB after", heap0/(1<<20), heap1/(1<<20))
	}
	t.Logf("%.0f processes/s for %v, nginx reloaded 4 times under 200 held connections: agent counted %v reloads and %v drops (clients saw %d); agent CPU %.3f s/s under churn, %.3f s/s idle; goroutines %v -> %v; heap in use %.1f -> %.1f MiB",
		perSecond, window, reloads, dropped, drops.Load(), cpuChurn/window.Seconds(), cpuIdle/window.Seconds(), goroutines0, goroutines1, heap0/(1<<20), heap1/(1<<20))
}
