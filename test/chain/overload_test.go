package chain

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// The API server overloaded (issue 16): central reaches the real API
// server through a proxy that, for 30 s, refuses every request with 429
// and Retry-After 1 as priority and fairness does (cutting the watches
// open, as an API server restarting into overload does), then answers
// every request 3 s late. Central must keep serving, send few requests
// while refused (no hot loop), and see a change made meanwhile soon
// after the refusals end.
func TestAPIServerOverload(t *testing.T) {
	if testing.Short() {
		t.Skip("runs central against a real kube-apiserver behind a refusing proxy")
	}
	env := testenv.Start(t)
	installChartRBAC(t, env, nil)
	env.CreateNode(testenv.NodeSpec{Name: "node-a"})
	proxy := env.StartOverload()
	base, log := startExporter(t, "central", "RELIABILITY_KUBECONFIG="+proxy.Kubeconfig(namespace, account),
		"RELIABILITY_ANALYSIS_MIN_INTERVAL=0s")
	defer func() {
		if t.Failed() {
			t.Logf("central's log:\n%s", log.String())
		}
	}()
	waitReady(t, base)
	errorsBefore, _ := sum(base, "kube_reliability_source_errors_total")
	synced := time.Now()
	steady := len(proxy.Requests(synced.Add(-10*time.Second), synced.Add(time.Hour)))

	const refusal = 30 * time.Second
	proxy.Refuse(1)
	refused := time.Now()
	d := env.CreateDeployment("shop", "packed", 3, nil)
	rs := env.CreateReplicaSet("shop", "packed-1", 3, d, nil)
	env.PodsOn("shop", "packed-1", "ReplicaSet", &rs.ObjectMeta, map[string]string{"app": "packed"}, "node-a", "node-a", "node-a")
	keepsServing(t, base, "while refused", refusal-time.Since(refused))
	// The first seconds hold the retries of what was cut; the rate is
	// taken over the rest.
	window := proxy.Requests(refused.Add(5*time.Second), refused.Add(refusal))
	rate := float64(len(window)) / (refusal - 5*time.Second).Seconds()
	all := proxy.Requests(refused, refused.Add(refusal))
	watches := 0
	for _, r := range window {
		if r.Watch {
			watches++
		}
	}
	errorsDuring, _ := sum(base, "kube_reliability_source_errors_total")
	if errorsDuring <= errorsBefore {
		t.Errorf("source errors %v before, %v after the refusals: not counted", errorsBefore, errorsDuring)
	}
	// Twenty-one informers; client-go alone retries each 429 after its
	// Retry-After (1 s), about 20 requests a second in all.
	if rate > 2 {
		t.Errorf("%.2f requests/s while refused (%d in %v): a hot loop", rate, len(window), refusal-5*time.Second)
	}

	proxy.Pass()
	back := time.Now()
	waitWorkload(t, base, "packed", 60*time.Second)
	recovery := time.Since(back)
	if recovery > 30*time.Second {
		t.Errorf("the change made while refused took %v to show after the refusals ended, want under 30 s", recovery)
	}

	// Slow: every request answered 3 s late.
	const delay = 3 * time.Second
	proxy.Slow(delay)
	slow := time.Now()
	d2 := env.CreateDeployment("shop", "slowpoke", 2, nil)
	rs2 := env.CreateReplicaSet("shop", "slowpoke-1", 2, d2, nil)
	env.PodsOn("shop", "slowpoke-1", "ReplicaSet", &rs2.ObjectMeta, map[string]string{"app": "slowpoke"}, "node-a", "node-a")
	waitWorkload(t, base, "slowpoke", 60*time.Second)
	slowSeen := time.Since(slow)
	slowRequests := len(proxy.Requests(slow, time.Now()))
	proxy.Pass()

	t.Logf("steady (10 s before the refusals): %d requests; refused %v: %d requests, %.2f/s after the first 5 s (%d of them watches), %v source errors counted, %d log bytes; "+
		"change visible %v after the refusals ended; every request 3 s late: change visible after %v, %d requests meanwhile (the cut watches opened again)",
		steady, refusal, len(all), rate, watches, errorsDuring-errorsBefore, len(log.String()), recovery.Round(time.Millisecond), slowSeen.Round(time.Millisecond), slowRequests)
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, func() error {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz %d", resp.StatusCode)
		}
		return nil
	})
}

// waitWorkload waits until the Deployment name is reported packed on one
// node.
func waitWorkload(t *testing.T, base, name string, limit time.Duration) {
	t.Helper()
	testenv.Eventually(t, limit, func() error {
		fams, _, err := scrape(base)
		if err != nil {
			return err
		}
		for _, m := range fams["kube_reliability_workload_single_node"].GetMetric() {
			if label(m, "owner_name") == name && value(m) == 1 {
				return nil
			}
		}
		return fmt.Errorf("%s is not in the metrics yet", name)
	})
}
