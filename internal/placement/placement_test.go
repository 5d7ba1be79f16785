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

func node(name, zone string, unschedulable bool, lbl ...string) *corev1.Node {
	l := map[string]string{corev1.LabelHostname: name}
	if zone != "" {
		l[cluster.ZoneLabel] = zone
	}
	for i := 0; i+1 < len(lbl); i += 2 {
		l[lbl[i]] = lbl[i+1]
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Spec: corev1.NodeSpec{Unschedulable: unschedulable}}
}

func deployment(name string, replicas int32, mutate func(*corev1.PodSpec)) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("d-" + name)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}},
		},
	}
	if mutate != nil {
		mutate(&d.Spec.Template.Spec)
	}
	return d
}

func ctrl(kind, name string, uid types.UID) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{Kind: kind, Name: name, UID: uid, Controller: &t}}
}

func rsFor(d *appsv1.Deployment) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{
		Name: d.Name + "-rs", Namespace: d.Namespace, UID: types.UID("rs-" + d.Name),
		OwnerReferences: ctrl("Deployment", d.Name, d.UID),
	}}
}

func pod(name string, owner []metav1.OwnerReference, nodeName string, ready bool) *cluster.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return cluster.PodFrom(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", OwnerReferences: owner},
		Spec:       corev1.PodSpec{NodeName: nodeName},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: st},
		}},
	})
}

// podsOf makes one ready pod of the deployment's ReplicaSet per node name.
func podsOf(d *appsv1.Deployment, nodes ...string) []*cluster.Pod {
	rs := rsFor(d)
	var out []*cluster.Pod
	for i, n := range nodes {
		out = append(out, pod(fmt.Sprintf("%s-%d", d.Name, i), ctrl("ReplicaSet", rs.Name, rs.UID), n, true))
	}
	return out
}

func threeNodesTwoZones() []*corev1.Node {
	return []*corev1.Node{node("node-1", "a", false), node("node-2", "a", false), node("node-3", "b", false)}
}

func find(t *testing.T, r Result, kind, name string) Workload {
	t.Helper()
	for _, w := range r.Workloads {
		if w.Kind == kind && w.Name == name {
			return w
		}
	}
	t.Fatalf("workload %s/%s not in result %+v", kind, name, r.Workloads)
	return Workload{}
}

type want struct {
	ready, maxOnNode, nodeSkew, zoneSkew, eligNodes, eligZones int
	nodeKnown, zoneKnown, singleNode, singleZone               bool
}

func check(t *testing.T, w Workload, x want) {
	t.Helper()
	got := want{w.ReadyReplicas, w.MaxReadyOnNode, w.NodeSkew, w.ZoneSkew, w.EligibleNodes, w.EligibleZones,
		w.NodeSkewKnown, w.ZoneSkewKnown, w.SingleNode, w.SingleZone}
	if got != x {
		t.Errorf("got  %+v\nwant %+v", got, x)
	}
}

func TestAnalyzeDeployments(t *testing.T) {
	t.Parallel()
	packed := deployment("packed", 3, nil)
	spread := deployment("spread", 3, nil)
	pinned := deployment("pinned", 2, func(s *corev1.PodSpec) { s.NodeSelector = map[string]string{cluster.ZoneLabel: "a"} })
	tests := []struct {
		name  string
		nodes []*corev1.Node
		d     *appsv1.Deployment
		pods  []*cluster.Pod
		want  want
	}{
		{"three replicas on one node", threeNodesTwoZones(), packed, podsOf(packed, "node-1", "node-1", "node-1"),
			want{ready: 3, maxOnNode: 3, nodeSkew: 3, zoneSkew: 3, eligNodes: 3, eligZones: 2, nodeKnown: true, zoneKnown: true, singleNode: true, singleZone: true}},
		{"spread one per node", threeNodesTwoZones(), spread, podsOf(spread, "node-1", "node-2", "node-3"),
			want{ready: 3, maxOnNode: 1, nodeSkew: 0, zoneSkew: 1, eligNodes: 3, eligZones: 2, nodeKnown: true, zoneKnown: true}},
		{"one node cordoned still counts as fullest", []*corev1.Node{node("node-1", "a", true), node("node-2", "a", false), node("node-3", "b", false)},
			packed, podsOf(packed, "node-1", "node-1", "node-2"),
			want{ready: 3, maxOnNode: 2, nodeSkew: 2, zoneSkew: 3, eligNodes: 2, eligZones: 2, nodeKnown: true, zoneKnown: true, singleZone: true}},
		{"nodeSelector to one zone: single zone is not a finding", threeNodesTwoZones(), pinned, podsOf(pinned, "node-1", "node-2"),
			want{ready: 2, maxOnNode: 1, nodeSkew: 0, zoneSkew: 0, eligNodes: 2, eligZones: 1, nodeKnown: true, zoneKnown: true}},
		{"unready and terminating pods do not count", threeNodesTwoZones(), packed, func() []*cluster.Pod {
			p := podsOf(packed, "node-1", "node-2", "node-3")
			p[1].Ready = false
			p[2].Terminating = true
			return p
		}(), want{ready: 1, maxOnNode: 1, nodeSkew: 1, zoneSkew: 1, eligNodes: 3, eligZones: 2, nodeKnown: true, zoneKnown: true}},
		{"no zones in the cluster: zone skew unknown", []*corev1.Node{node("n1", "", false), node("n2", "", false)}, packed, podsOf(packed, "n1", "n1"),
			want{ready: 2, maxOnNode: 2, nodeSkew: 2, eligNodes: 2, nodeKnown: true, singleNode: true}},
		{"every node cordoned: node skew unknown", []*corev1.Node{node("n1", "a", true)}, packed, podsOf(packed, "n1", "n1"),
			want{ready: 2, maxOnNode: 2, singleNode: true}},
		{"pods on a node that no longer exists", threeNodesTwoZones(), packed, podsOf(packed, "gone", "gone", "node-3"),
			want{ready: 3, maxOnNode: 2, nodeSkew: 2, zoneSkew: 1, eligNodes: 3, eligZones: 2, nodeKnown: true, zoneKnown: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &cluster.Snapshot{Nodes: tt.nodes, Deployments: cluster.Deployments(tt.d), ReplicaSets: []*appsv1.ReplicaSet{rsFor(tt.d)}, Pods: tt.pods}
			r := Analyze(s)
			if len(r.Workloads) != 1 {
				t.Fatalf("want 1 workload, got %d", len(r.Workloads))
			}
			check(t, r.Workloads[0], tt.want)
		})
	}
}

func TestAnalyzeOwnership(t *testing.T) {
	t.Parallel()
	d := deployment("web", 2, nil)
	bare := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: "ns", UID: "rs-bare"}}
	rollout := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns", UID: "rs-ro", OwnerReferences: ctrl("Rollout", "r", "r-uid")}}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns", UID: "sts-db"}}
	s := &cluster.Snapshot{
		Nodes:        threeNodesTwoZones(),
		Deployments:  cluster.Deployments(d),
		StatefulSets: []*appsv1.StatefulSet{sts},
		ReplicaSets:  []*appsv1.ReplicaSet{rsFor(d), bare, rollout},
		Pods: append(podsOf(d, "node-1", "node-2"),
			pod("bare-0", ctrl("ReplicaSet", "bare", "rs-bare"), "node-1", true),
			pod("ro-0", ctrl("ReplicaSet", "ro", "rs-ro"), "node-1", true),
			pod("db-0", ctrl("StatefulSet", "db", "sts-db"), "node-3", true),
			pod("db-1", ctrl("StatefulSet", "db", "sts-db"), "node-3", true),
			pod("ds-0", ctrl("DaemonSet", "ds", "ds-uid"), "node-1", true),
			pod("orphan", nil, "node-1", true),
			pod("stale-owner", ctrl("ReplicaSet", "deleted", "uid-gone"), "node-1", true),
			pod("same-name-new-uid", ctrl("StatefulSet", "db", "sts-old"), "node-1", true),
			pod("pending", ctrl("StatefulSet", "db", "sts-db"), "", true),
		),
	}
	r := Analyze(s)
	if len(r.Workloads) != 3 {
		t.Fatalf("want Deployment, bare ReplicaSet and StatefulSet, got %+v", r.Workloads)
	}
	check(t, find(t, r, KindDeployment, "web"), want{ready: 2, maxOnNode: 1, nodeSkew: 1, zoneSkew: 2, eligNodes: 3, eligZones: 2, nodeKnown: true, zoneKnown: true, singleZone: true})
	check(t, find(t, r, KindReplicaSet, "bare"), want{ready: 1, maxOnNode: 1, nodeSkew: 1, zoneSkew: 1, eligNodes: 3, eligZones: 2, nodeKnown: true, zoneKnown: true})
	check(t, find(t, r, KindStatefulSet, "db"), want{ready: 2, maxOnNode: 2, nodeSkew: 2, zoneSkew: 2, eligNodes: 3, eligZones: 2, nodeKnown: true, zoneKnown: true, singleNode: true, singleZone: true})
	if got := find(t, r, KindStatefulSet, "db").DesiredReplicas; got != 1 {
		t.Errorf("StatefulSet without spec.replicas: desired %d, want the API default 1", got)
	}
	if len(r.Zones) != 2 || r.Zones[0] != (Zone{"a", 2, 2}) || r.Zones[1] != (Zone{"b", 1, 1}) || r.NodesWithoutZone != 0 {
		t.Errorf("zones %+v, without zone %d", r.Zones, r.NodesWithoutZone)
	}
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	self := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	other := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	term := func(sel *metav1.LabelSelector) corev1.PodAffinityTerm {
		return corev1.PodAffinityTerm{LabelSelector: sel, TopologyKey: corev1.LabelHostname}
	}
	tests := []struct {
		name string
		spec corev1.PodSpec
		want []string
	}{
		{"none", corev1.PodSpec{}, []string{"none"}},
		{"required self anti-affinity", corev1.PodSpec{Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(self)}}}}, []string{"required_anti_affinity"}},
		{"anti-affinity against another app is not a spread policy", corev1.PodSpec{Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(other)}}}}, []string{"none"}},
		{"preferred plus topology spread", corev1.PodSpec{
			Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 1, PodAffinityTerm: term(self)}}}},
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: cluster.ZoneLabel, LabelSelector: self}},
		}, []string{"preferred_anti_affinity", "topology_spread"}},
		{"topology spread with nil selector selects nothing", corev1.PodSpec{
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: cluster.ZoneLabel}},
		}, []string{"none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl := &cluster.Template{Labels: map[string]string{"app": "web"}, Spec: &tt.spec}
			p := policies("ns", tmpl)
			var got []string
			for _, n := range PolicyNames {
				if p.Has(n) {
					got = append(got, n)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("policies %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNodeAffinityEligibility(t *testing.T) {
	t.Parallel()
	d := deployment("gpu", 2, func(s *corev1.PodSpec) {
		s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: "gpu", Operator: corev1.NodeSelectorOpIn, Values: []string{"true"}},
			}}},
		}}}
	})
	nodes := []*corev1.Node{node("g1", "a", false, "gpu", "true"), node("g2", "b", false, "gpu", "true"), node("c1", "a", false)}
	r := Analyze(&cluster.Snapshot{Nodes: nodes, Deployments: cluster.Deployments(d), ReplicaSets: []*appsv1.ReplicaSet{rsFor(d)}, Pods: podsOf(d, "g1", "g1")})
	check(t, r.Workloads[0], want{ready: 2, maxOnNode: 2, nodeSkew: 2, zoneSkew: 2, eligNodes: 2, eligZones: 2, nodeKnown: true, zoneKnown: true, singleNode: true, singleZone: true})
}

// A template pinned to one zone, by nodeSelector (either label) or by
// required node affinity whose every term names the same single zone; two
// zones, or terms naming different zones, are no pin.
func TestPinnedZone(t *testing.T) {
	t.Parallel()
	aff := func(terms ...[]string) *corev1.Affinity {
		var ts []corev1.NodeSelectorTerm
		for _, vals := range terms {
			ts = append(ts, corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: "disktype", Operator: corev1.NodeSelectorOpExists},
				{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: vals},
			}})
		}
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: ts}}}
	}
	for _, tt := range []struct {
		name string
		spec corev1.PodSpec
		want string
	}{
		{"nodeSelector", corev1.PodSpec{NodeSelector: map[string]string{corev1.LabelTopologyZone: "a"}}, "a"},
		{"beta label", corev1.PodSpec{NodeSelector: map[string]string{corev1.LabelFailureDomainBetaZone: "b"}}, "b"},
		{"affinity, one zone", corev1.PodSpec{Affinity: aff([]string{"a"})}, "a"},
		{"affinity, same zone in every term", corev1.PodSpec{Affinity: aff([]string{"a"}, []string{"a"})}, "a"},
		{"affinity, two zones", corev1.PodSpec{Affinity: aff([]string{"a", "b"})}, ""},
		{"affinity, terms on different zones", corev1.PodSpec{Affinity: aff([]string{"a"}, []string{"b"})}, ""},
		{"no constraint", corev1.PodSpec{}, ""},
	} {
		if got := pinnedZone(&cluster.Template{Spec: &tt.spec}); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
