package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// BenchmarkAgentCost measures what the agent costs on a busy ingress node:
// the real agent binary samples every second while 10 nginx instances
// hold 10,000 client connections, first steady, then with each instance
// reloaded once (its old workers holding ~1,000 connections each until
// worker_shutdown_timeout). It reports the agent's CPU (share of one core,
// from its own utime+stime) per phase and its peak RSS, and what it
// counted against what the clients saw. Run with hack/bench.sh (writes
// bench/agent-cost.txt); it is a measurement, not a pass/fail test.
func BenchmarkAgentCost(b *testing.B) {
	const instances, perInstance = 10, 1000
	const steady, reloadPhase = 20 * time.Second, 40 * time.Second
	for range b.N {
		bin := filepath.Join(b.TempDir(), "kube-reliability-exporter")
		if out, err := exec.Command("go", "build", "-trimpath", "-tags", "agentonly", "-ldflags", "-s -w", "-o", bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("build: %v\n%s", err, out)
		}
		// The agent names each nginx after its pod from a watch of its
		// node's pods: a real API server with 30 pods on the node (and
		// 300 elsewhere, which the field selector keeps out).
		env := testenv.Start(b)
		env.CreateNode(testenv.NodeSpec{Name: "ingress-1", Zone: "zone-a"})
		env.CreateNode(testenv.NodeSpec{Name: "other", Zone: "zone-a"})
		for i := range 30 {
			env.CreatePod(testenv.PodSpec{Namespace: "ingress", Name: fmt.Sprintf("p-%d", i), Node: "ingress-1"})
		}
		for i := range 300 {
			env.CreatePod(testenv.PodSpec{Namespace: "apps", Name: fmt.Sprintf("p-%d", i), Node: "other"})
		}
		var ngx []*testenv.Nginx
		for range instances {
			ngx = append(ngx, testenv.StartNginx(b, testenv.NginxSpec{
				// 16 MiB at 512 B/s: responses that outlast the run.
				Files: map[string][]byte{"big": make([]byte, 16<<20)}, LimitRate: "512",
				ShutdownTimeout: "5s", WorkerConnections: 4 * perInstance,
			}))
		}
		ctx, cancel := context.WithCancel(context.Background())
		var held, drops atomic.Int64
		var wg sync.WaitGroup
		for _, n := range ngx {
			for range perInstance {
				wg.Go(func() { holdConnection(ctx, n.Port, &held, &drops) })
			}
		}
		b.Cleanup(func() { cancel(); wg.Wait() })
		testenv.Eventually(b, 60*time.Second, func() error {
			if h := held.Load(); h != instances*perInstance {
				return fmt.Errorf("%d connections held, want %d", h, instances*perInstance)
			}
			return nil
		})

		cmd := exec.Command(bin, "agent")
		// KRE_AGENT_PROFILE=file: a CPU profile of the reload phase, to
		// see where its cost goes (pprof's sampling adds a little to it).
		profile := os.Getenv("KRE_AGENT_PROFILE")
		_, base, _ := startCmd(b, cmd, "", "RELIABILITY_HOST_PID=self",
			"RELIABILITY_ETCD_DATA_DIR=/nonexistent/etcd", "RELIABILITY_NGINX_SAMPLE_INTERVAL=1s",
			"RELIABILITY_NODE_NAME=ingress-1", "RELIABILITY_KUBECONFIG="+env.Kubeconfig(),
			fmt.Sprintf("RELIABILITY_DEBUG_PPROF=%t", profile != ""))
		pid := cmd.Process.Pid
		scrapes := func(ctx context.Context) {
			for ctx.Err() == nil { // as Prometheus would, every 15s
				_, _ = get(b, base+"/metrics")
				select {
				case <-ctx.Done():
				case <-time.After(15 * time.Second):
				}
			}
		}
		sctx, stopScrapes := context.WithCancel(ctx)
		go scrapes(sctx)
		time.Sleep(3 * time.Second) // the agent's start-up is not the steady cost

		b.ResetTimer()
		cpu0, t0 := cpuTicks(b, pid), time.Now()
		user0 := userTicks(b, pid)
		time.Sleep(steady)
		cpu1, t1 := cpuTicks(b, pid), time.Now()
		dropsBefore := drops.Load()
		if profile != "" {
			go func() {
				resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, int(reloadPhase.Seconds())-2))
				if err != nil {
					b.Error(err)
					return
				}
				defer resp.Body.Close()
				data, err := io.ReadAll(resp.Body)
				if err == nil {
					err = os.WriteFile(profile, data, 0o644)
				}
				if err != nil {
					b.Error(err)
				}
			}()
		}
		for i, n := range ngx {
			if err := syscall.Kill(n.PID, syscall.SIGHUP); err != nil {
				b.Fatal(err)
			}
			if i < len(ngx)-1 {
				time.Sleep(reloadPhase / 2 / instances)
			}
		}
		time.Sleep(time.Until(t1.Add(reloadPhase)))
		cpu2, t2 := cpuTicks(b, pid), time.Now()
		user2 := userTicks(b, pid)
		b.StopTimer()
		stopScrapes()

		_, body := get(b, base+"/metrics")
		if !strings.Contains(body, `kube_reliability_informer_synced{resource="pods:node"} 1`) {
			b.Fatalf("the agent's node pods watch did not sync:\n%s", body)
		}
		var reloads, dropped float64
		for _, n := range ngx {
			labels := fmt.Sprintf(`{listen="%d",namespace="",pod=""}`, n.Port)
			r, _ := value(body, "kube_reliability_nginx_reloads_total"+labels)
			d, _ := value(body, "kube_reliability_nginx_reload_dropped_connections_total"+labels)
			reloads += r
			dropped += d
		}
		rss, hwm := memKiB(b, pid, "VmRSS"), memKiB(b, pid, "VmHWM")
		anon, file := memKiB(b, pid, "RssAnon"), memKiB(b, pid, "RssFile")
		b.ReportMetric(100*float64(cpu1-cpu0)/clockTicks/t1.Sub(t0).Seconds(), "steady-cpu-%core")
		b.ReportMetric(100*float64(cpu2-cpu1)/clockTicks/t2.Sub(t1).Seconds(), "reloading-cpu-%core")
		// The part spent in the agent's own code (the rest is the kernel's:
		// listing fds and reading their links and the socket tables).
		b.ReportMetric(100*float64(user2-user0)/clockTicks/t2.Sub(t0).Seconds(), "user-cpu-%core")
		b.ReportMetric(float64(rss)/1024, "rss-MiB")
		b.ReportMetric(float64(hwm)/1024, "peak-rss-MiB")
		// RssFile: pages of the (shared) binary the agent touched;
		// RssAnon: the agent's own memory.
		b.ReportMetric(float64(anon)/1024, "rss-anon-MiB")
		b.ReportMetric(float64(file)/1024, "rss-file-MiB")
		b.ReportMetric(reloads, "reloads-counted")
		b.ReportMetric(dropped, "drops-counted")
		b.ReportMetric(float64(drops.Load()-dropsBefore), "drops-clients-saw")
		b.ReportMetric(0, "ns/op")
	}
}

// clockTicks is USER_HZ, the unit of utime and stime (100 on Linux).
const clockTicks = 100

func cpuTicks(b *testing.B, pid int) uint64 {
	b.Helper()
	utime, stime := statTicks(b, pid)
	return utime + stime
}

func userTicks(b *testing.B, pid int) uint64 {
	b.Helper()
	utime, _ := statTicks(b, pid)
	return utime
}

func statTicks(b *testing.B, pid int) (utime, stime uint64) {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	utime, _ = strconv.ParseUint(f[11], 10, 64) // field 14 of stat
	stime, _ = strconv.ParseUint(f[12], 10, 64) // field 15
	return utime, stime
}

func memKiB(b *testing.B, pid int, field string) uint64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for l := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// holdConnection keeps one download open, reconnecting when nginx cuts it
// (a drop the client saw).
func holdConnection(ctx context.Context, port int, held, drops *atomic.Int64) {
	buf := make([]byte, 4096)
	for ctx.Err() == nil {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { c.Close() })
		if _, err := fmt.Fprint(c, "GET /big HTTP/1.1\r\nHost: bench\r\n\r\n"); err == nil {
			held.Add(1)
			for {
				if _, err := c.Read(buf); err != nil {
					break
				}
			}
			held.Add(-1)
			if stop() {
				drops.Add(1)
			}
		}
		c.Close()
	}
}
