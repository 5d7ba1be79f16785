package chain

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// sum adds a family's values.
func sum(base, family string) (float64, error) {
	fams, _, err := scrape(base)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, m := range fams[family].GetMetric() {
		total += value(m)
	}
	return total, nil
}

// TestAPIServerOutage: the bad day's first event. Central runs with the
// chart's account; the real API server is killed for 45 s and started
// again on the same port and etcd. Meanwhile central stays alive
// (/healthz 200), keeps serving the last state, counts and logs the
// failures, and uses little CPU; after the API server returns, a
// Deployment packed on one node — made after the outage — reaches the
// metrics through the watch path, without a restart. The figures are
// logged (recovery time, CPU, errors counted, log lines).
func TestAPIServerOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a real kube-apiserver")
	}
	env := testenv.Start(t)
	installChartRBAC(t, env, nil)
	env.CreateNode(testenv.NodeSpec{Name: "node-a"})
	base, log := startExporter(t, "central", "RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, account),
		"RELIABILITY_ANALYSIS_MIN_INTERVAL=0s")
	waitReady(t, base)
	errorsBefore, err := sum(base, "kube_reliability_source_errors_total")
	if err != nil {
		t.Fatal(err)
	}
	cpuBefore, _ := sum(base, "process_cpu_seconds_total")
	logBefore := len(log.String())

	// As long as the outage the issue measured: the watches' backoff
	// grows to its cap meanwhile.
	const outage = 45 * time.Second
	env.KillAPIServer()
	keepsServing(t, base, "during the outage", outage)
	staleness, err := cacheAges(base)
	if err != nil {
		t.Fatal(err)
	}
	for resource, age := range staleness {
		if age < outage.Seconds()-5 || age > outage.Seconds()+30 {
			t.Errorf("%s: cache %0.f s old at the end of a %v outage", resource, age, outage)
		}
	}
	errorsDuring, _ := sum(base, "kube_reliability_source_errors_total")
	cpuDuring, _ := sum(base, "process_cpu_seconds_total")
	outageLog := log.String()[logBefore:]
	logLines := strings.Count(outageLog, "\n")
	// Bounded by what is watched, not by the outage's length: client-go's
	// one line per watch at the kill, one per collection that failed, one
	// per failing collector.
	if logLines > 40 {
		t.Errorf("%d log lines over the outage, want at most 40:\n%s", logLines, outageLog)
	}
	if errorsDuring <= errorsBefore {
		t.Errorf("source errors %v before, %v after the outage: it is not counted", errorsBefore, errorsDuring)
	}
	if !strings.Contains(outageLog, "list or watch failed") {
		t.Errorf("the outage is not logged:\n%s", outageLog)
	}

	env.RestartAPIServer()
	back := time.Now()
	d := env.CreateDeployment("shop", "packed", 3, nil)
	rs := env.CreateReplicaSet("shop", "packed-1", 3, d, nil)
	env.PodsOn("shop", "packed-1", "ReplicaSet", &rs.ObjectMeta, map[string]string{"app": "packed"}, "node-a", "node-a", "node-a")
	created := time.Since(back)
	testenv.Eventually(t, 120*time.Second, func() error {
		fams, _, err := scrape(base)
		if err != nil {
			return err
		}
		for _, m := range fams["kube_reliability_workload_single_node"].GetMetric() {
			if label(m, "owner_name") == "packed" && value(m) == 1 {
				return nil
			}
		}
		return fmt.Errorf("the Deployment made after the outage is not in the metrics yet")
	})
	recovery := time.Since(back)
	// The requirement (issue 16); the gate's cap is 5 s.
	if recovery > 30*time.Second {
		t.Errorf("the change took %v to show after the API server was back, want under 30 s", recovery)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		ages, err := cacheAges(base)
		if err != nil {
			return err
		}
		for resource, age := range ages {
			if age > 5 {
				return fmt.Errorf("%s: cache still %.0f s old after the recovery", resource, age)
			}
		}
		return nil
	})
	t.Logf("outage %v: caches %v s old at its end; %v source errors counted, %d log lines, %.2f s CPU; after restart: objects created in %v, visible in the metrics %v after the API server was back",
		outage, staleness, errorsDuring-errorsBefore, logLines, cpuDuring-cpuBefore, created.Round(time.Millisecond), recovery.Round(time.Millisecond))
}

// cacheAges is, per watched core resource, how old central's cache is by
// its own account: the scrape's time less
// kube_reliability_informer_last_success_timestamp_seconds.
func cacheAges(base string) (map[string]float64, error) {
	fams, _, err := scrape(base)
	if err != nil {
		return nil, err
	}
	now := float64(time.Now().UnixNano()) / 1e9
	ages := map[string]float64{}
	for _, m := range fams["kube_reliability_informer_last_success_timestamp_seconds"].GetMetric() {
		switch r := label(m, "resource"); r {
		case "pods", "nodes", "deployments", "replicasets":
			ages[r] = math.Round(now - value(m))
		}
	}
	if len(ages) != 4 {
		return nil, fmt.Errorf("cache ages of %v, want pods, nodes, deployments, replicasets", ages)
	}
	return ages, nil
}

// TestAPIServerHangs (issue 16): the real API server stopped with SIGSTOP
// for 60 s - it accepts connections and answers nothing, which no refusal
// reveals - then continued. Central keeps serving, its caches go stale
// once the connection is found dead (HTTP/2 pings), and a change made
// after the API server wakes is in the metrics within 30 s.
func TestAPIServerHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops a real kube-apiserver")
	}
	env := testenv.Start(t)
	installChartRBAC(t, env, nil)
	env.CreateNode(testenv.NodeSpec{Name: "node-a"})
	base, log := startExporter(t, "central", "RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, account),
		"RELIABILITY_ANALYSIS_MIN_INTERVAL=0s")
	defer func() {
		if t.Failed() {
			t.Logf("central's log:\n%s", log.String())
		}
	}()
	waitReady(t, base)
	const hang = 60 * time.Second
	env.PauseAPIServer()
	paused := time.Now()
	keepsServing(t, base, "while the API server hangs", hang-time.Since(paused))
	ages, err := cacheAges(base)
	if err != nil {
		t.Fatal(err)
	}
	// The open connection goes silent; client-go's HTTP/2 health check
	// (a ping after 30 s without a frame, 15 s to answer) finds it dead
	// and the caches are stale from then: at least 10 s by the end.
	for resource, age := range ages {
		if age < 10 || age > hang.Seconds()+5 {
			t.Errorf("%s: cache %.0f s old at the end of a %v hang, want stale since the connection was found dead", resource, age, hang)
		}
	}
	env.ResumeAPIServer()
	back := time.Now()
	d := env.CreateDeployment("shop", "packed", 3, nil)
	rs := env.CreateReplicaSet("shop", "packed-1", 3, d, nil)
	env.PodsOn("shop", "packed-1", "ReplicaSet", &rs.ObjectMeta, map[string]string{"app": "packed"}, "node-a", "node-a", "node-a")
	waitWorkload(t, base, "packed", 60*time.Second)
	recovery := time.Since(back)
	if recovery > 30*time.Second {
		t.Errorf("the change took %v to show after the API server woke, want under 30 s", recovery)
	}
	t.Logf("hung %v: caches %v s old by their own account at its end (the connection found dead by HTTP/2 pings); change visible %v after SIGCONT",
		hang, ages, recovery.Round(time.Millisecond))
}

// keepsServing checks for d that central answers /healthz, /readyz and
// /metrics with 200, twice a second: readiness is about the first sync
// (docs/architecture.md), the staleness is in the metrics.
func keepsServing(t *testing.T, base, while string, d time.Duration) {
	t.Helper()
	for start := time.Now(); time.Since(start) < d; time.Sleep(500 * time.Millisecond) {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatalf("%s %s: %v", path, while, err)
			}
			// The whole body, as a scraper reads it: a client that hangs
			// up early is logged by the exporter.
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Errorf("%s %s: body: %v", path, while, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s %s: %d", path, while, resp.StatusCode)
			}
		}
	}
}
