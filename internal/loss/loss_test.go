package loss

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

func node(name, zone string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if zone != "" {
		n.Labels["topology.kubernetes.io/zone"] = zone
	}
	return n
}

// deployment with one ready pod per entry of nodes.
func deployment(s *cluster.Snapshot, name string, replicas int32, nodes ...string) {
	yes := true
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID("d-" + name)},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name + "-1", UID: types.UID("rs-" + name),
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", UID: d.UID, Controller: &yes}}}}
	s.Deployments, s.ReplicaSets = append(s.Deployments, cluster.DeploymentFrom(d)), append(s.ReplicaSets, rs)
	for i, n := range nodes {
		s.Pods = append(s.Pods, &cluster.Pod{Namespace: "shop", Name: name + string(rune('a'+i)),
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", UID: rs.UID, Controller: &yes}},
			NodeName:        n, Phase: corev1.PodRunning, Ready: true})
	}
}

// Exact answers for every kind of placement: spread over zones, packed on
// one node, spread over nodes of one zone, a single replica, a bare pod,
// nothing ready; and a replica on a node without a zone makes the zone
// verdicts unknown, not "survives".
func TestAnalyze(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{node("a1", "a"), node("a2", "a"), node("b1", "b"), node("c1", "c")}}
	deployment(s, "spread", 3, "a1", "b1", "c1")
	deployment(s, "packed", 3, "a1", "a1", "a1")
	deployment(s, "onezone", 2, "a1", "a2")
	deployment(s, "single", 1, "b1")
	deployment(s, "pending", 2) // nothing ready
	s.Pods = append(s.Pods, &cluster.Pod{Namespace: "tools", Name: "debug", NodeName: "a2", Phase: corev1.PodRunning, Ready: true})
	r := Analyze(s)
	want := []Workload{
		{Kind: "Deployment", Namespace: "shop", Name: "onezone", Desired: 2, Ready: 2, AfterNodeLoss: 1, WorstNode: "a1", AfterZoneLoss: 0, WorstZone: "a", ZoneKnown: true},
		{Kind: "Deployment", Namespace: "shop", Name: "packed", Desired: 3, Ready: 3, AfterNodeLoss: 0, WorstNode: "a1", AfterZoneLoss: 0, WorstZone: "a", ZoneKnown: true},
		{Kind: "Deployment", Namespace: "shop", Name: "single", Desired: 1, Ready: 1, AfterNodeLoss: 0, WorstNode: "b1", AfterZoneLoss: 0, WorstZone: "b", ZoneKnown: true},
		{Kind: "Deployment", Namespace: "shop", Name: "spread", Desired: 3, Ready: 3, AfterNodeLoss: 2, WorstNode: "a1", AfterZoneLoss: 2, WorstZone: "a", ZoneKnown: true},
		{Kind: "Pod", Namespace: "tools", Name: "debug", Desired: 1, Ready: 1, AfterNodeLoss: 0, WorstNode: "a2", AfterZoneLoss: 0, WorstZone: "a", ZoneKnown: true},
	}
	if !reflect.DeepEqual(r.Workloads, want) {
		t.Errorf("workloads\n%+v\nwant\n%+v", r.Workloads, want)
	}
	if want := []Domain{{"a1", 1}, {"a2", 1}, {"b1", 1}}; !reflect.DeepEqual(r.Nodes, want) {
		t.Errorf("nodes %+v, want %+v", r.Nodes, want)
	}
	if want := []Domain{{"a", 3}, {"b", 1}, {"c", 0}}; !reflect.DeepEqual(r.Zones, want) || !r.ZonesKnown {
		t.Errorf("zones %+v (known %t), want %+v", r.Zones, r.ZonesKnown, want)
	}
	if r.SurvivesNodeLoss() || r.SurvivesZoneLoss() {
		t.Error("survives")
	}

	// One replica on a node without a zone: zone answers unknown.
	s.Nodes = append(s.Nodes, node("x1", ""))
	deployment(s, "nozone", 2, "a1", "x1")
	r = Analyze(s)
	if r.ZonesKnown {
		t.Error("zones known with a replica on a node without a zone")
	}
	for _, w := range r.Workloads {
		if w.Name == "nozone" && (w.ZoneKnown || w.AfterNodeLoss != 1) {
			t.Errorf("nozone %+v", w)
		}
	}

	// Spread everywhere: the cluster survives any one node and any one zone.
	s = &cluster.Snapshot{Nodes: []*corev1.Node{node("a1", "a"), node("b1", "b")}}
	deployment(s, "spread", 2, "a1", "b1")
	if r := Analyze(s); !r.SurvivesNodeLoss() || !r.SurvivesZoneLoss() || len(r.Nodes) != 0 {
		t.Errorf("spread cluster: %+v", r)
	}
}
