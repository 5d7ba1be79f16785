package collector

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthfetch"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthresp"
)

type fakeHealth map[healthcheck.Endpoint]healthcheck.Fetched

func (f fakeHealth) Results() map[healthcheck.Endpoint]healthcheck.Fetched { return f }
func (fakeHealth) Failures() map[string]uint64                             { return nil }
func (fakeHealth) Version() uint64                                         { return 1 }
func (fakeHealth) LastRound() (healthfetch.RoundStats, bool)               { return healthfetch.RoundStats{}, false }
func (fakeHealth) Interval() time.Duration                                 { return time.Minute }

// healthSnapshot: api's readiness (an HTTP probe, read by the fetcher)
// and ledger's (likewise) at ready pods; web depends on api by annotation.
func healthSnapshot() *cluster.Snapshot {
	yes := true
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}}
	s := &cluster.Snapshot{}
	for _, name := range []string{"web", "api", "ledger"} {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID("d-" + name)},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", ReadinessProbe: probe}}}}}}
		if name == "web" {
			d.Annotations = map[string]string{healthcheck.DependsOnAnnotation: "api"}
			d.Spec.Template.Spec.Containers[0].ReadinessProbe = nil
		}
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name + "-1", UID: types.UID("rs-" + name),
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: name, UID: d.UID, Controller: &yes}}}}
		s.Deployments, s.ReplicaSets = append(s.Deployments, cluster.DeploymentFrom(d)), append(s.ReplicaSets, rs)
		s.Pods = append(s.Pods, &cluster.Pod{Namespace: "shop", Name: name + "-0", Labels: map[string]string{"app": name},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}},
			Phase:           corev1.PodRunning, Ready: true, PodIP: "127.0.0.9"})
		s.Services = append(s.Services, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}}})
	}
	return s
}

// Before api's response is read, web and api export no depth, no 0
// verdicts and no counts, only that their graph is incomplete and the edge
// known from the annotation; ledger, whose response was read and whose
// latest read failed, keeps the dependency it reported, with when that was
// read; the cluster says 1 of 2 endpoints known. The exact exposition of
// the graph families, linted.
func TestHealthCollectorSaysWhatIsUnknown(t *testing.T) {
	t.Parallel()
	snap := healthSnapshot()
	var ledger healthcheck.Endpoint
	for _, ep := range healthcheck.Endpoints(snap) {
		if ep.Key.Name == "ledger" {
			ledger = ep
		}
	}
	read := time.Unix(1700000000, 0)
	fetched := fakeHealth{ledger: {Err: "timeout", Known: true, ReadAt: read,
		Response: healthresp.Response{Format: healthresp.FormatSpringBoot, Components: []healthresp.Component{{Name: "api"}}}}}
	s := newSet(t, &healthSpec, Deps{Cluster: cluster.Static{S: snap}, Health: fetched})
	want := `
# HELP kube_reliability_health_dependencies Distinct dependencies of the workload's health checks, by kind: workload (resolved to a workload in the cluster) or external.
# TYPE kube_reliability_health_dependencies gauge
# HELP kube_reliability_health_dependency_depth Longest chain of health-check dependencies from the workload, in hops (A checks B checks C: 2 for A), counting a cycle as one and an external dependency as one hop; absent while the graph is incomplete for it (kube_reliability_health_graph_incomplete).
# TYPE kube_reliability_health_dependency_depth gauge
# HELP kube_reliability_health_dependency_edge 1 for each health-check dependency of a workload on another, by source: probe_spec, annotation, health_response (the dependency graph, for dashboards).
# TYPE kube_reliability_health_dependency_edge gauge
kube_reliability_health_dependency_edge{dependency_kind="Deployment",dependency_name="api",dependency_namespace="shop",namespace="shop",owner_kind="Deployment",owner_name="ledger",source="health_response"} 1
kube_reliability_health_dependency_edge{dependency_kind="Deployment",dependency_name="api",dependency_namespace="shop",namespace="shop",owner_kind="Deployment",owner_name="web",source="annotation"} 1
# HELP kube_reliability_health_fetch_coverage_ratio Share of the health endpoints the fetcher reads (liveness and readiness of one ready pod per workload) whose response is known, from the latest read or an earlier one. Absent when health fetching is off or there is nothing to read.
# TYPE kube_reliability_health_fetch_coverage_ratio gauge
kube_reliability_health_fetch_coverage_ratio 0.5
# HELP kube_reliability_health_graph_complete 1 when the response of every health endpoint the fetcher reads is known, so the cluster totals (longest chain, workloads in cycles) are whole; 0 while some are not, when they are lower bounds. Absent when health fetching is off.
# TYPE kube_reliability_health_graph_complete gauge
kube_reliability_health_graph_complete 0
# HELP kube_reliability_health_graph_incomplete 1 while the health responses of the workload, or of a workload it depends on, have not been read: only what is known to be true (edges, cycles, liveness checking dependencies) is exported for it, and its depth, 0-valued verdicts and dependency counts are absent.
# TYPE kube_reliability_health_graph_incomplete gauge
kube_reliability_health_graph_incomplete{namespace="shop",owner_kind="Deployment",owner_name="api"} 1
kube_reliability_health_graph_incomplete{namespace="shop",owner_kind="Deployment",owner_name="ledger"} 1
kube_reliability_health_graph_incomplete{namespace="shop",owner_kind="Deployment",owner_name="web"} 1
# HELP kube_reliability_health_response_read_timestamp_seconds When (Unix time) the response the graph still uses for the workload's probe was read, after its last read failed: the last good one, kept so a flapping endpoint does not erase its dependencies (its age is time() minus this). Absent while reads succeed.
# TYPE kube_reliability_health_response_read_timestamp_seconds gauge
kube_reliability_health_response_read_timestamp_seconds{namespace="shop",owner_kind="Deployment",owner_name="ledger",probe="readiness"} 1.7e+09
`
	names := []string{"kube_reliability_health_dependencies", "kube_reliability_health_dependency_depth", "kube_reliability_health_dependency_edge",
		"kube_reliability_health_fetch_coverage_ratio", "kube_reliability_health_graph_complete", "kube_reliability_health_graph_incomplete",
		"kube_reliability_health_response_read_timestamp_seconds", "kube_reliability_health_dependency_in_cycle"}
	if err := compareNamed(t, s, want, names...); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(s); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}
