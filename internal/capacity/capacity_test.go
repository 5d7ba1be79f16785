package capacity

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

var yes = true

func newNode(name, zone, cpu, mem string, pods int64) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if zone != "" {
		n.Labels[corev1.LabelTopologyZone] = zone
	}
	n.Status.Allocatable = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
		corev1.ResourcePods: *resource.NewQuantity(pods, resource.DecimalSI),
	}
	return n
}

func template(cpu, mem string) corev1.PodTemplateSpec {
	req := corev1.ResourceList{}
	if cpu != "" {
		req[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		req[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: req}}}}}
}

// deployment adds a Deployment with one running pod per entry of nodes.
func deployment(s *cluster.Snapshot, name string, tmpl corev1.PodTemplateSpec, nodes ...string) {
	n := int32(len(nodes))
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID("d-" + name)},
		Spec: appsv1.DeploymentSpec{Replicas: &n, Template: tmpl}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name + "-1", UID: types.UID("rs-" + name),
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", UID: d.UID, Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Replicas: &n, Template: tmpl}}
	s.Deployments, s.ReplicaSets = append(s.Deployments, cluster.DeploymentFrom(d)), append(s.ReplicaSets, rs)
	for i, nd := range nodes {
		s.Pods = append(s.Pods, &cluster.Pod{Namespace: "shop", Name: name + string(rune('a'+i)),
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", UID: rs.UID, Controller: &yes}},
			NodeName:        nd, Phase: corev1.PodRunning, Ready: true})
	}
}

// Exact answers: requests against free CPU, a taint only one workload
// tolerates, a nodeSelector that pins to one zone, a cordoned node that
// takes nothing, DaemonSet and bare pods that consume but never move, a
// pod of unknown controller counted, terminated pods ignored.
func TestAnalyze(t *testing.T) {
	t.Parallel()
	tainted := newNode("c1", "c", "4", "16Gi", 110)
	tainted.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	cordoned := newNode("x1", "b", "4", "16Gi", 110)
	cordoned.Spec.Unschedulable = true
	s := &cluster.Snapshot{Nodes: []*corev1.Node{
		newNode("a1", "a", "4", "16Gi", 110), newNode("a2", "a", "4", "16Gi", 110), newNode("b1", "b", "4", "16Gi", 110), tainted, cordoned,
	}}
	deployment(s, "big", template("3", "1Gi"), "a1", "a2")
	deployment(s, "mid", template("800m", "1Gi"), "b1")
	db := template("1", "1Gi")
	db.Spec.NodeSelector = map[string]string{corev1.LabelTopologyZone: "c"}
	db.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	deployment(s, "db", db, "c1")
	// A DaemonSet's pods use capacity everywhere and move nowhere.
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "agent", UID: "ds"}, Spec: appsv1.DaemonSetSpec{Template: template("100m", "")}}
	s.DaemonSets = append(s.DaemonSets, ds)
	for _, n := range []string{"a1", "a2", "b1", "c1"} {
		s.Pods = append(s.Pods, &cluster.Pod{Namespace: "kube-system", Name: "agent-" + n,
			OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet", UID: ds.UID, Controller: &yes}}, NodeName: n, Phase: corev1.PodRunning})
	}
	// A bare pod: consumes on a2, is not re-created.
	bare := template("500m", "")
	s.Pods = append(s.Pods, &cluster.Pod{Namespace: "tools", Name: "debug", NodeName: "a2", Phase: corev1.PodRunning, BareSpec: &bare.Spec})
	// A Job's pod: its requests are unknown here.
	s.Pods = append(s.Pods, &cluster.Pod{Namespace: "batch", Name: "job-x", NodeName: "b1", Phase: corev1.PodRunning,
		OwnerReferences: []metav1.OwnerReference{{Kind: "Job", UID: "job", Controller: &yes}}})
	// Finished pods hold nothing.
	s.Pods = append(s.Pods, &cluster.Pod{Namespace: "batch", Name: "done", NodeName: "b1", Phase: corev1.PodSucceeded,
		OwnerReferences: []metav1.OwnerReference{{Kind: "Job", UID: "job", Controller: &yes}}})

	r := noFilters(Analyze(s))
	// Free CPU: a1 0.9, a2 0.4, b1 3.1 (mid 0.8, agent 0.1), c1 2.9
	// (tainted), x1 none (cordoned). Either big pod alone fits on b1, not
	// both; mid fits on a1; db fits nowhere but c1.
	want := Result{
		Nodes: []Domain{
			{Name: "c1", Pods: 1, Unschedulable: 1, Reasons: map[string]int{ReasonNodeAffinity: 1}, Stranded: []Stranded{{Workload: "shop/Deployment/db", Pods: 1, Reason: ReasonNodeAffinity}}},
		},
		Zones: []Domain{
			{Name: "a", Pods: 2, Unschedulable: 1, Reasons: map[string]int{"insufficient_cpu": 1}, Stranded: []Stranded{{Workload: "shop/Deployment/big", Pods: 1, Reason: "insufficient_cpu"}}},
			{Name: "b", Pods: 1, Unschedulable: 0},
			{Name: "c", Pods: 1, Unschedulable: 1, Reasons: map[string]int{ReasonNodeAffinity: 1}, Stranded: []Stranded{{Workload: "shop/Deployment/db", Pods: 1, Reason: ReasonNodeAffinity}}},
		},
		// Draining c1 strands db as its loss does.
		Drains: []Domain{
			{Name: "c1", Pods: 1, Unschedulable: 1, Reasons: map[string]int{ReasonNodeAffinity: 1}, Stranded: []Stranded{{Workload: "shop/Deployment/db", Pods: 1, Reason: ReasonNodeAffinity}}},
		},
		UnknownRequests: 1,
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got\n%+v\nwant\n%+v", r, want)
	}
	node, nodeKnown := r.AbsorbsNodeLoss()
	zone, zoneKnown := r.AbsorbsZoneLoss()
	if node || zone || !nodeKnown || !zoneKnown {
		t.Errorf("absorbs node loss %v (known %v), zone loss %v (known %v); want false, false, known", node, nodeKnown, zone, zoneKnown)
	}

	// With big at 2.5 CPU: b1 (2.9 free) takes one of zone a's two, and
	// either node's alone.
	s2 := &cluster.Snapshot{Nodes: s.Nodes}
	deployment(s2, "big", template("2500m", "1Gi"), "a1", "a2")
	deployment(s2, "mid", template("1", "1Gi"), "b1")
	r = Analyze(s2)
	if absorbs, known := r.AbsorbsNodeLoss(); len(r.Nodes) != 0 || !absorbs || !known {
		t.Errorf("nodes %+v, want none", r.Nodes)
	}
	if got := r.Zones[0]; got.Name != "a" || got.Pods != 2 || got.Unschedulable != 1 {
		t.Errorf("zone a: %+v, want 2 pods, 1 unschedulable", got)
	}
}

// Memory and pod slots bind as CPU does.
func TestMemoryAndPodSlots(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{
		newNode("m1", "", "4", "2Gi", 110), newNode("m2", "", "16", "1Gi", 110), newNode("p1", "", "16", "64Gi", 1),
	}}
	deployment(s, "mem", template("100m", "1536Mi"), "m1")
	r := Analyze(s)
	// m2 has CPU but 1Gi; p1 has room for one pod and holds none.
	if len(r.Nodes) != 0 {
		t.Fatalf("mem fits on p1: %+v", r.Nodes)
	}
	deployment(s, "filler", template("", ""), "p1")
	r = noFilters(Analyze(s))
	want := []Domain{{Name: "m1", Pods: 1, Unschedulable: 1, Reasons: map[string]int{"insufficient_memory": 1}, Stranded: []Stranded{{Workload: "shop/Deployment/mem", Pods: 1, Reason: "insufficient_memory"}}}}
	if !reflect.DeepEqual(r.Nodes, want) {
		t.Errorf("got %+v, want %+v (p1's only pod slot is taken, m2 lacks memory)", r.Nodes, want)
	}
}

// withPriority sets the priority of the pods of the named workload.
func withPriority(s *cluster.Snapshot, name string, p int32) {
	for _, pod := range s.Pods {
		if len(pod.Name) == len(name)+1 && pod.Name[:len(name)] == name {
			pod.Priority = p
		}
	}
}

// Preemption as the scheduler does it: a lost node's high-priority pod
// evicts a low-priority one elsewhere, which is then re-created and finds
// no place; a preemption that frees more than the node had before the
// loss does not stop the next search early; where the victims could be
// of either of two workloads of one priority, both are undecided.
func TestPreemption(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{newNode("n1", "a", "2", "8Gi", 110), newNode("n2", "a", "2", "8Gi", 110)}}
	deployment(s, "vip", template("1500m", "1Gi"), "n1")
	deployment(s, "batch", template("1500m", "1Gi"), "n2")
	withPriority(s, "vip", 1000)
	r := noFilters(Analyze(s))
	// Losing n1: vip evicts batch on n2, batch finds no place. Losing
	// n2: batch finds no place, and cannot evict vip.
	want := []Domain{
		{Name: "n1", Pods: 1, Unschedulable: 1, Reasons: map[string]int{"insufficient_cpu": 1},
			Stranded: []Stranded{{Workload: "shop/Deployment/batch", Pods: 1, Reason: "insufficient_cpu"}}, Preempted: 1},
		{Name: "n2", Pods: 1, Unschedulable: 1, Reasons: map[string]int{"insufficient_cpu": 1},
			Stranded: []Stranded{{Workload: "shop/Deployment/batch", Pods: 1, Reason: "insufficient_cpu"}}},
	}
	if !reflect.DeepEqual(r.Nodes, want) {
		t.Errorf("node loss:\ngot  %+v\nwant %+v", r.Nodes, want)
	}

	// Two low-priority workloads on n2, either of which makes room.
	s = &cluster.Snapshot{Nodes: []*corev1.Node{newNode("n1", "a", "2", "8Gi", 110), newNode("n2", "a", "2", "8Gi", 110)}}
	deployment(s, "vip", template("1", "1Gi"), "n1")
	deployment(s, "left", template("1", "1Gi"), "n2")
	deployment(s, "right", template("1", "1Gi"), "n2")
	withPriority(s, "vip", 1000)
	r = Analyze(s)
	// Losing n1: vip evicts left or right (start times decide). Losing
	// n2: one of left and right fits on n1, which one is the queue's.
	// Either way one pod is certain to find no place: counted, under the
	// undecided pods' reason.
	if len(r.Nodes) != 2 || r.Nodes[0].Name != "n1" || len(r.Nodes[0].Undecided) != 2 || r.Nodes[0].Unschedulable != 1 ||
		r.Nodes[0].Reasons[UnknownPreemption] != 1 || r.Nodes[0].UnknownReasons[UnknownPreemption] != 1 ||
		r.Nodes[1].Unschedulable != 1 || r.Nodes[1].Reasons[UnknownOrder] != 1 || r.Nodes[1].UnknownReasons[UnknownOrder] != 1 {
		t.Errorf("either victim: got %+v, want left and right undecided, one pod of them unschedulable (%s on n1, %s on n2)", r.Nodes, UnknownPreemption, UnknownOrder)
	}
}

// noFilters drops the lists of every refusing filter, which the tests
// above do not spell out (TestFilters does).
func noFilters(r Result) Result {
	for _, ds := range [][]Domain{r.Nodes, r.Zones, r.Drains} {
		for i := range ds {
			for k := range ds[i].Stranded {
				ds[i].Stranded[k].Filters = nil
			}
		}
	}
	return r
}

// TestFilters: a pod refused by anti-affinity on one node and by cpu on
// the other names both.
func TestFilters(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{newNode("n1", "a", "2", "8Gi", 110), newNode("n2", "a", "2", "8Gi", 110), newNode("n3", "a", "1", "8Gi", 110)}}
	db := template("1", "1Gi")
	db.Labels = map[string]string{"app": "db"}
	db.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, TopologyKey: corev1.LabelHostname}}}}
	deployment(s, "db", db, "n1", "n2")
	deployment(s, "filler", template("500m", ""), "n3")
	for _, n := range s.Nodes {
		n.Labels[corev1.LabelHostname] = n.Name
	}
	r := Analyze(s)
	// Losing n1: n2 has a db pod (anti-affinity), n3 lacks cpu.
	if len(r.Nodes) == 0 || r.Nodes[0].Name != "n1" || len(r.Nodes[0].Stranded) != 1 {
		t.Fatalf("got %+v, want db stranded when n1 is lost", r.Nodes)
	}
	got := r.Nodes[0].Stranded[0]
	if want := []string{"insufficient_cpu", ReasonPodAntiAffinity}; !reflect.DeepEqual(got.Filters, want) {
		t.Errorf("filters %v, want %v", got.Filters, want)
	}
}

// TestNodeChoice: a pending pod that must sit beside a re-created one
// gets in or not by which of two fitting nodes the scheduler scores
// higher: undecided, not a guess.
func TestNodeChoice(t *testing.T) {
	t.Parallel()
	big := newNode("n1", "a", "8", "16Gi", 110)
	big.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule}}
	s := &cluster.Snapshot{Nodes: []*corev1.Node{big, newNode("n2", "a", "2", "8Gi", 110), newNode("n3", "a", "1", "8Gi", 110)}}
	for _, n := range s.Nodes {
		n.Labels[corev1.LabelHostname] = n.Name
	}
	web := template("1", "1Gi")
	web.Labels = map[string]string{"app": "web"}
	web.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "web", Effect: corev1.TaintEffectNoSchedule}}
	deployment(s, "web", web, "n3")
	cache := template("1", "1Gi")
	cache.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: corev1.LabelHostname}}}}
	deployment(s, "cache", cache, "")
	s.Pods[len(s.Pods)-1].Phase = corev1.PodPending

	r := Analyze(s)
	var n3 *Domain
	for i := range r.Nodes {
		if r.Nodes[i].Name == "n3" {
			n3 = &r.Nodes[i]
		}
	}
	// Losing n3: web's pod fits on n1 (least allocated: cache cannot
	// follow past the taint) and on n2 (cache follows). Which one the
	// scheduler takes decides cache's pod.
	want := []Stranded{{Workload: "shop/Deployment/cache", Pods: 1, Reason: UnknownNodeChoice}}
	if n3 == nil || !reflect.DeepEqual(n3.Undecided, want) || n3.UnknownReasons[UnknownNodeChoice] != 1 || len(n3.Unblocked) != 0 || n3.Unschedulable != 0 {
		t.Errorf("losing n3: got %+v, want cache undecided by %s and nothing unblocked or stranded", n3, UnknownNodeChoice)
	}
}

// TestDrainLetsInThenEvicts: a drain that refuses a PDB's pod now but
// lets in the workload's pending pod (which restores the budget) may
// evict that pod after all, and its replacement needs a place too:
// neither the hang nor the workload's fate is decided.
func TestDrainLetsInThenEvicts(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{newNode("n1", "a", "4", "8Gi", 110), newNode("n2", "a", "4", "8Gi", 110)}}
	for _, n := range s.Nodes {
		n.Labels[corev1.LabelHostname] = n.Name
	}
	web := template("1", "1Gi")
	web.Labels = map[string]string{"app": "web"}
	deployment(s, "web", web, "n1")
	// cache sits beside web and never beside itself.
	cache := template("250m", "1Gi")
	cache.Labels = map[string]string{"app": "cache"}
	cache.Spec.Affinity = &corev1.Affinity{
		PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: corev1.LabelHostname}}},
		PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}, TopologyKey: corev1.LabelHostname}}},
	}
	deployment(s, "cache", cache, "n1", "")
	for _, p := range s.Pods {
		p.Labels = map[string]string{"app": p.Name[:len(p.Name)-1]}
		if p.NodeName == "" {
			p.Phase, p.Ready = corev1.PodPending, false
		}
	}
	one := intstr.FromInt32(1)
	s.PodDisruptionBudgets = []*policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cache"},
		Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}, MinAvailable: &one}}}

	d, ok := Drain(s, "n1")
	// Draining n1: cache's pod there is refused (one of two ready); web
	// moves to n2 and cache's pending pod follows it, the budget comes
	// back and the refused pod may go, with nowhere left beside web.
	want := []Stranded{{Workload: "shop/Deployment/cache", Pods: 2, Reason: UnknownDrainOrder}}
	if !ok || !d.HangUnknown || d.Hangs || len(d.Unblocked) != 0 || !reflect.DeepEqual(d.Undecided, want) {
		t.Errorf("drain n1: got %+v, want the hang open and cache undecided (%s)", d, UnknownDrainOrder)
	}
}

// TestSmallestFirstWhenAllFit: the largest pods first all find room, but
// a small pod met first takes the only node a large one may use: the
// large one's fate is undecided, not "fits".
func TestSmallestFirstWhenAllFit(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{newNode("n1", "a", "4", "8Gi", 110), newNode("n2", "a", "4", "8Gi", 110), newNode("n3", "a", "1200m", "8Gi", 110)}}
	for _, n := range s.Nodes {
		n.Labels[corev1.LabelHostname] = n.Name
	}
	big := template("1", "2Gi")
	big.Labels = map[string]string{"app": "big"}
	big.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "big"}}, TopologyKey: corev1.LabelHostname}}}}
	deployment(s, "big", big, "n1", "n2")
	deployment(s, "mid", template("500m", "1Gi"), "n1")
	for _, p := range s.Pods {
		if p.Name[:3] == "big" {
			p.Labels = map[string]string{"app": "big"}
		}
	}
	r := Analyze(s)
	// Losing n1: big fits only on n3 (n2 holds one); mid, met first,
	// takes n3 (least allocated) and leaves it too little cpu.
	n1 := domain(r.Nodes, "n1")
	want := []Stranded{{Workload: "shop/Deployment/big", Pods: 1, Reason: UnknownOrder}}
	if n1 == nil || !reflect.DeepEqual(n1.Undecided, want) || n1.Unschedulable != 0 {
		t.Errorf("losing n1: got %+v, want big undecided (%s)", n1, UnknownOrder)
	}
}

// TestPreemptionSparesPDB: of two nodes where a preemption would make
// room, the scheduler takes the one whose victim's PodDisruptionBudget
// allows the disruption.
func TestPreemptionSparesPDB(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{newNode("n1", "a", "2", "8Gi", 110), newNode("n2", "a", "2", "8Gi", 110), newNode("n3", "a", "2", "8Gi", 110)}}
	deployment(s, "vip", template("1500m", "1Gi"), "n3")
	guarded := template("1500m", "1Gi")
	guarded.Labels = map[string]string{"app": "guarded"}
	deployment(s, "guarded", guarded, "n1")
	deployment(s, "free", template("1500m", "1Gi"), "n2")
	for _, p := range s.Pods {
		if p.Name == "guardeda" {
			p.Labels = map[string]string{"app": "guarded"}
		}
	}
	withPriority(s, "vip", 1000)
	all := intstr.FromString("100%")
	s.PodDisruptionBudgets = []*policyv1.PodDisruptionBudget{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "guarded"},
		Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}}, MinAvailable: &all}}}
	r := noFilters(Analyze(s))
	// Losing n3: vip evicts free on n2 (guarded's PDB allows no
	// disruption), and free finds no place.
	n3 := domain(r.Nodes, "n3")
	want := []Stranded{{Workload: "shop/Deployment/free", Pods: 1, Reason: "insufficient_cpu"}}
	if n3 == nil || !reflect.DeepEqual(n3.Stranded, want) || n3.Unknown != 0 || n3.Preempted != 1 {
		t.Errorf("losing n3: got %+v, want free preempted and stranded, nothing undecided", n3)
	}
}
