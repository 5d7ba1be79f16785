package placement

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Synthetic returns a cluster shaped like the design target, scaled by
// pods: 30 pods per node, 3 zones, workloads of 10 replicas (4 in 5
// Deployments, the rest StatefulSets), one workload in 10 pinned by a
// nodeSelector to one of 5 node pools, one pod in 20 not ready.
func Synthetic(pods int) *cluster.Snapshot {
	s := &cluster.Snapshot{}
	nodes := max(pods/30, 1)
	for i := range nodes {
		s.Nodes = append(s.Nodes, node(fmt.Sprintf("node-%d", i), fmt.Sprintf("zone-%d", i%3), i%50 == 0,
			"pool", fmt.Sprintf("pool-%d", i%5)))
	}
	workloads := max(pods/10, 1)
	p := 0
	for w := range workloads {
		name := fmt.Sprintf("app-%d", w)
		replicas := int32(10)
		tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}}
		if w%10 == 0 {
			tmpl.Spec.NodeSelector = map[string]string{"pool": fmt.Sprintf("pool-%d", w%5)}
		}
		var owner []metav1.OwnerReference
		if w%5 != 4 {
			d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("d-" + name)},
				Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: tmpl}}
			rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name + "-rs", Namespace: "ns", UID: types.UID("rs-" + name),
				OwnerReferences: ctrl("Deployment", name, d.UID)}}
			s.Deployments = append(s.Deployments, d)
			s.ReplicaSets = append(s.ReplicaSets, rs)
			owner = ctrl("ReplicaSet", rs.Name, rs.UID)
		} else {
			ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("ss-" + name)},
				Spec: appsv1.StatefulSetSpec{Replicas: &replicas, Template: tmpl}}
			s.StatefulSets = append(s.StatefulSets, ss)
			owner = ctrl("StatefulSet", name, ss.UID)
		}
		for r := range 10 {
			s.Pods = append(s.Pods, pod(fmt.Sprintf("%s-%d", name, r), owner, fmt.Sprintf("node-%d", (p*7)%nodes), p%20 != 0))
			p++
		}
	}
	return s
}

func BenchmarkAnalyze(b *testing.B) {
	for _, pods := range []int{1_000, 10_000, 150_000} {
		s := Synthetic(pods)
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := Analyze(s)
				if len(r.Workloads) != pods/10 {
					b.Fatalf("%d workloads", len(r.Workloads))
				}
			}
		})
	}
}

// TestSyntheticShape guards the benchmark input: a benchmark of the wrong
// shape measures nothing useful.
func TestSyntheticShape(t *testing.T) {
	t.Parallel()
	s := Synthetic(1_000)
	r := Analyze(s)
	if len(s.Pods) != 1_000 || len(s.Nodes) != 33 || len(r.Workloads) != 100 || len(r.Zones) != 3 {
		t.Fatalf("pods %d nodes %d workloads %d zones %d", len(s.Pods), len(s.Nodes), len(r.Workloads), len(r.Zones))
	}
	ready := 0
	for _, w := range r.Workloads {
		ready += w.ReadyReplicas
	}
	if ready != 950 {
		t.Errorf("ready replicas %d, want 950 (one pod in 20 unready)", ready)
	}
}
