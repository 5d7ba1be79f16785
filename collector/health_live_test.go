package collector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthfetch"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

var podIPs atomic.Int32

// serveOnPodIP serves h on a fresh loopback address (127.0.0.x), as the
// workload's pod would on its pod IP, and returns the IP and port.
func serveOnPodIP(t *testing.T, h http.Handler) (string, int) {
	t.Helper()
	ip := fmt.Sprintf("127.0.0.%d", 20+podIPs.Add(1))
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ip, l.Addr().(*net.TCPAddr).Port
}

func respond(contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, body)
	})
}

// healthWorkload is a StatefulSet app=<name> with one ready pod at ip, a
// Service svc-<name> selecting it, and the probes mutate sets.
func healthWorkload(t *testing.T, env *testenv.Env, ns, name, ip string, mutate func(*corev1.Container, *appsv1.StatefulSet)) {
	t.Helper()
	ss := env.CreateStatefulSet(ns, name, 1, func(s *appsv1.StatefulSet) {
		mutate(&s.Spec.Template.Spec.Containers[0], s)
	})
	env.CreatePod(testenv.PodSpec{Namespace: ns, Name: name + "-0", OwnerKind: "StatefulSet", Owner: &ss.ObjectMeta,
		Labels: map[string]string{"app": name}, Node: "node-a", Ready: true, PodIP: ip})
	_, err := env.Client.CoreV1().Services(ns).Create(context.Background(), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "svc-" + name, Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func httpProbe(path string, port int) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt(port)}}}
}

// healthRegistry starts the informers and a fast fetcher on client, and
// registers the health collector on them.
func healthRegistry(t *testing.T, client *testenv.Env, fetch healthfetch.Config) *prometheus.Registry {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inf := liveInformers(t, bindShippedRole(t, client), logger)
	f := healthfetch.New(fetch, logger)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(runCtx, func() []healthcheck.Endpoint {
			snap, err := inf.Snapshot()
			if err != nil {
				return nil
			}
			return healthcheck.Endpoints(snap)
		})
	}()
	t.Cleanup(func() { stop(); <-done })
	return registry(t, collector.Deps{Logger: logger, Cluster: inf, Status: inf, Health: f, Settings: collector.Settings{HealthConfig: healthcheck.Config{LivenessRoutes: []string{"/health"}, ReadinessRoutes: []string{"/ping"}}}}, "health")
}

func fastFetch() healthfetch.Config {
	return healthfetch.Config{Interval: 200 * time.Millisecond, Timeout: 500 * time.Millisecond, MaxBody: 1 << 20,
		MaxDepth: 32, Concurrency: 4, PerSecond: 1000}
}

func hw(name, workload string, kv ...string) string {
	return series(name, append([]string{"namespace", "shop", "owner_kind", "StatefulSet", "owner_name", workload}, kv...)...)
}

// TestHealthGraphLive: workloads on a real API server whose pods (at
// loopback pod IPs) serve health responses of each format. A → B → C is a
// chain (A depth 2); D ⇄ E a cycle; F's liveness reports B's health; G's
// probe targets svc-c by httpGet.host, H's exec curls svc-b, I declares
// svc-c and an external database in the annotation.
func TestHealthGraphLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	const ns = "shop"
	mk := func(name string, readiness, liveness http.Handler, extra func(*corev1.Container, *appsv1.StatefulSet)) {
		mux := http.NewServeMux()
		if readiness != nil {
			mux.Handle("/ping", readiness)
		}
		if liveness != nil {
			mux.Handle("/health", liveness)
		}
		ip, port := serveOnPodIP(t, mux)
		healthWorkload(t, env, ns, name, ip, func(c *corev1.Container, s *appsv1.StatefulSet) {
			if readiness != nil {
				c.ReadinessProbe = httpProbe("/ping", port)
			}
			if liveness != nil {
				c.LivenessProbe = httpProbe("/health", port)
			}
			if extra != nil {
				extra(c, s)
			}
		})
	}
	mk("a", respond("application/health+json", `{"status":"pass","checks":{"svc-b:responseTime":[{"componentType":"component","status":"pass"}],
		"stripe:responseTime":[{"componentId":"api.stripe.com","componentType":"component"}],"uptime":[{"componentType":"system"}]}}`), respond("text/plain", "OK"), nil)
	mk("b", respond("application/vnd.spring-boot.actuator.v3+json", `{"status":"UP","components":{"svc-c":{"status":"UP"},"diskSpace":{"status":"UP"},"ping":{"status":"UP"}}}`), nil, nil)
	mk("c", respond("text/plain", "OK"), respond("text/plain", "OK"), nil)
	mk("d", respond("application/json", `{"status":"UP","checks":[{"name":"svc-e","status":"UP"},{"name":"heap-memory","status":"UP"}]}`), nil, nil)
	mk("e", respond("application/json", `{"status":"UP","components":{"svc-d":{"status":"UP"}}}`), nil, nil)
	mk("f", respond("text/plain", "OK"), respond("application/health+json", `{"status":"pass","checks":{"svc-b:responseTime":[{"componentType":"component"}]}}`), nil)
	mk("g", nil, nil, func(c *corev1.Container, _ *appsv1.StatefulSet) {
		c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Host: "svc-c.shop.svc.cluster.local", Path: "/health", Port: intstr.FromInt(80)}}}
	})
	mk("h", nil, nil, func(c *corev1.Container, _ *appsv1.StatefulSet) {
		c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
			Command: []string{"sh", "-c", "curl -sf http://svc-b.shop/health"}}}}
	})
	mk("i", nil, nil, func(_ *corev1.Container, s *appsv1.StatefulSet) {
		s.Annotations = map[string]string{healthcheck.DependsOnAnnotation: "svc-c, postgres.example.com"}
	})

	// Hostile endpoints next to the healthy ones: each fails with its
	// reason, and every value above stays right.
	mk("x-slow", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}), nil, nil)
	mk("x-huge", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for range 320 { // 20 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}), nil, nil)
	mk("x-deep", respond("application/json", strings.Repeat(`{"a":`, 5000)+"1"+strings.Repeat("}", 5000)), nil, nil)
	mk("x-utf8", respond("application/json", "{\"checks\":{\"\xff\":[]}}"), nil, nil)
	mk("x-redirect", http.RedirectHandler("http://127.0.0.99:1/elsewhere", http.StatusFound), nil, nil)

	reg := healthRegistry(t, env, fastFetch())
	edge := func(from, to, source string) string {
		return hw("kube_reliability_health_dependency_edge", from, "dependency_namespace", ns, "dependency_kind", "StatefulSet", "dependency_name", to, "source", source)
	}
	testenv.Eventually(t, 30*time.Second, expectation(t, reg, map[string]float64{
		hw("kube_reliability_health_dependency_depth", "a"):                                                 2,
		hw("kube_reliability_health_dependency_depth", "b"):                                                 1,
		hw("kube_reliability_health_dependency_depth", "c"):                                                 -1, // depends on nothing: no series
		hw("kube_reliability_health_dependencies", "a", "kind", "workload"):                                 1,
		hw("kube_reliability_health_dependencies", "a", "kind", "external"):                                 1,
		hw("kube_reliability_health_dependency_in_cycle", "a"):                                              0,
		hw("kube_reliability_health_dependency_in_cycle", "d"):                                              1,
		hw("kube_reliability_health_dependency_in_cycle", "e"):                                              1,
		hw("kube_reliability_health_dependency_depth", "d"):                                                 0,
		hw("kube_reliability_health_liveness_checks_dependencies", "a"):                                     0,
		hw("kube_reliability_health_liveness_checks_dependencies", "f"):                                     1,
		hw("kube_reliability_health_liveness_checks_dependencies", "g"):                                     1,
		hw("kube_reliability_health_liveness_checks_dependencies", "h"):                                     0,
		edge("a", "b", "health_response"):                                                                   1,
		edge("b", "c", "health_response"):                                                                   1,
		edge("d", "e", "health_response"):                                                                   1,
		edge("e", "d", "health_response"):                                                                   1,
		edge("f", "b", "health_response"):                                                                   1,
		edge("g", "c", "probe_spec"):                                                                        1,
		edge("h", "b", "probe_spec"):                                                                        1,
		edge("i", "c", "annotation"):                                                                        1,
		hw("kube_reliability_health_dependencies", "i", "kind", "external"):                                 1,
		hw("kube_reliability_health_dependency_depth", "h"):                                                 2,
		hw("kube_reliability_health_dependency_depth", "g"):                                                 1,
		hw("kube_reliability_health_response_format", "a", "probe", "readiness", "format", "health_json"):   1,
		hw("kube_reliability_health_response_format", "a", "probe", "liveness", "format", "plain"):          1,
		hw("kube_reliability_health_response_format", "b", "probe", "readiness", "format", "spring_boot"):   1,
		hw("kube_reliability_health_response_format", "d", "probe", "readiness", "format", "microprofile"):  1,
		hw("kube_reliability_health_response_format", "d", "probe", "readiness", "format", "spring_boot"):   -1, // one series, the format read
		hw("kube_reliability_workload_probe_present", "c", "container", "app", "probe", "startup"):          0,
		hw("kube_reliability_workload_probe_present", "c", "container", "app", "probe", "liveness"):         1,
		hw("kube_reliability_workload_probe_standard_route", "c", "container", "app", "probe", "readiness"): 1,
		series("kube_reliability_health_longest_dependency_chain"):                                          2,
		hw("kube_reliability_health_fetch_error", "x-slow", "probe", "readiness", "reason", "timeout"):      1,
		hw("kube_reliability_health_fetch_error", "x-huge", "probe", "readiness", "reason", "too_large"):    1,
		hw("kube_reliability_health_fetch_error", "x-deep", "probe", "readiness", "reason", "too_deep"):     1,
		hw("kube_reliability_health_fetch_error", "x-utf8", "probe", "readiness", "reason", "invalid_utf8"): 1,
		hw("kube_reliability_health_fetch_error", "x-redirect", "probe", "readiness", "reason", "redirect"): 1,
		hw("kube_reliability_health_fetch_error", "a", "probe", "readiness", "reason", "timeout"):           -1,
		series("kube_reliability_health_workloads_in_cycles"):                                               2,
	}))
}
