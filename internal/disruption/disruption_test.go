package disruption

import (
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

func ptr[T any](v T) *T { return &v }

func deployment(name string, replicas int32) (*appsv1.Deployment, *appsv1.ReplicaSet) {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("d-" + name)},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name, "tier": "web"}}}},
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name + "-1", Namespace: "ns", UID: types.UID("rs-" + name),
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", UID: d.UID, Controller: ptr(true)}}}}
	return d, rs
}

func pods(rs *appsv1.ReplicaSet, app string, n int) []*cluster.Pod {
	var out []*cluster.Pod
	for i := range n {
		out = append(out, cluster.PodFrom(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			Name: app + string(rune('a'+i)), Namespace: "ns", UID: types.UID(app + string(rune('a'+i))),
			Labels:          map[string]string{"app": app, "tier": "web"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", UID: rs.UID, Controller: ptr(true)}},
		}}))
	}
	return out
}

func pdb(name string, sel map[string]string, minAvailable, maxUnavailable *intstr.IntOrString) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: sel},
			MinAvailable: minAvailable, MaxUnavailable: maxUnavailable},
	}
}

func TestPDBVerdicts(t *testing.T) {
	t.Parallel()
	d, rs := deployment("web", 3)
	int3, int2, zero := intstr.FromInt32(3), intstr.FromInt32(2), intstr.FromInt32(0)
	p100, p50, p34, bad := intstr.FromString("100%"), intstr.FromString("50%"), intstr.FromString("34%"), intstr.FromString("lots")
	app := map[string]string{"app": "web"}
	tests := []struct {
		name string
		pdb  *policyv1.PodDisruptionBudget
		want PDB
	}{
		{"minAvailable equal to replicas blocks", pdb("p", app, &int3, nil), PDB{SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, DesiredHealthy: 3, BlocksDrain: true}},
		{"minAvailable 2 of 3 allows one", pdb("p", app, &int2, nil), PDB{SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, DesiredHealthy: 2}},
		{"maxUnavailable 0 blocks", pdb("p", app, nil, &zero), PDB{SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, DesiredHealthy: 3, BlocksDrain: true}},
		{"minAvailable 100% blocks", pdb("p", app, &p100, nil), PDB{SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, DesiredHealthy: 3, BlocksDrain: true}},
		{"minAvailable 50% of 3 rounds up to 2", pdb("p", app, &p50, nil), PDB{SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, DesiredHealthy: 2}},
		{"maxUnavailable 34% of 3 rounds up to 2 unavailable", pdb("p", app, nil, &p34), PDB{SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, DesiredHealthy: 1}},
		{"selects nothing", pdb("p", map[string]string{"app": "none"}, &int2, nil), PDB{ExpectedKnown: true, DesiredHealthy: 2}},
		{"unparsable value", pdb("p", app, &bad, nil), PDB{Invalid: "minAvailable: invalid value for IntOrString: invalid type: string is not a percentage"}},
		{"invalid selector", &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
			Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Bogus"}}}}},
			PDB{Invalid: `selector: "Bogus" is not a valid label selector operator`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &cluster.Snapshot{Deployments: cluster.Deployments(d), ReplicaSets: []*appsv1.ReplicaSet{rs}, Pods: pods(rs, "web", 3),
				PodDisruptionBudgets: []*policyv1.PodDisruptionBudget{tt.pdb}}
			got := Analyze(s).PDBs[0]
			tt.want.Namespace, tt.want.Name = "ns", "p"
			// Bound restates the spec; the name says which field.
			if got.Invalid == "" && tt.name != "selects nothing" && !strings.HasPrefix(got.Bound, strings.Fields(tt.name)[0]) {
				t.Errorf("bound %q for %s", got.Bound, tt.name)
			}
			got.Bound = ""
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestWorkloadCoverageAndOverlap(t *testing.T) {
	t.Parallel()
	web, webRS := deployment("web", 3)
	api, apiRS := deployment("api", 2)
	lone, loneRS := deployment("lone", 2)
	one := intstr.FromInt32(1)
	s := &cluster.Snapshot{
		Deployments: cluster.Deployments(web, api, lone),
		ReplicaSets: []*appsv1.ReplicaSet{webRS, apiRS, loneRS},
		Pods:        append(append(pods(webRS, "web", 3), pods(apiRS, "api", 2)...), pods(loneRS, "lone", 2)...),
		PodDisruptionBudgets: []*policyv1.PodDisruptionBudget{
			pdb("web", map[string]string{"app": "web"}, &one, nil),
			pdb("tier", map[string]string{"tier": "web"}, &one, nil), // overlaps web, api and lone
			pdb("api", map[string]string{"app": "api"}, &one, nil),
		},
	}
	s.PodDisruptionBudgets[1].Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"lone"}}}
	got := map[string]Workload{}
	for _, w := range Analyze(s).Workloads {
		got[w.Name] = w
	}
	if w := got["web"]; !w.Covered || w.PodsWithMultiplePDBs != 3 {
		t.Errorf("web %+v, want covered with 3 pods under two PDBs", w)
	}
	if w := got["api"]; !w.Covered || w.PodsWithMultiplePDBs != 2 {
		t.Errorf("api %+v", w)
	}
	if w := got["lone"]; w.Covered || w.PodsWithMultiplePDBs != 0 {
		t.Errorf("lone %+v, want uncovered", w)
	}
}

// A PDB over pods whose controller the disruption controller cannot scale
// (a Job) has unknown expected pods: not reported, not zero.
func TestUnknownControllerLeavesExpectedUnknown(t *testing.T) {
	t.Parallel()
	p50 := intstr.FromString("50%")
	s := &cluster.Snapshot{
		Pods: cluster.Pods(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "j", Namespace: "ns", UID: "j", Labels: map[string]string{"app": "batch"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Job", UID: "job", Controller: ptr(true)}}}}),
		PodDisruptionBudgets: []*policyv1.PodDisruptionBudget{pdb("p", map[string]string{"app": "batch"}, &p50, nil)},
	}
	got := Analyze(s).PDBs[0]
	if got.ExpectedKnown || got.SelectedPods != 1 {
		t.Errorf("got %+v", got)
	}
}

// Without pods (audit of manifests) selection is decided on templates.
// Manifests without pods are analysed on the pods their templates would
// make (cluster.WithTemplatePods), each workload on its own: adding a bare
// pod in another namespace, or the pods of another workload, must not
// change the verdicts on this one (it once switched every workload to
// "no pods": two false pdb-selects-nothing and a lost multiple-pdbs).
func TestTemplatePodsPerWorkload(t *testing.T) {
	t.Parallel()
	d, _ := deployment("web", 3)
	other, otherRS := deployment("api", 2)
	int3 := intstr.FromInt32(3)
	pdbs := func() []*policyv1.PodDisruptionBudget {
		return []*policyv1.PodDisruptionBudget{pdb("a", map[string]string{"app": "web"}, &int3, nil), pdb("b", map[string]string{"tier": "web", "app": "web"}, nil, nil)}
	}
	bare := cluster.PodFrom(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "elsewhere", UID: "bare"}})
	inputs := map[string]*cluster.Snapshot{
		"alone":               {Deployments: cluster.Deployments(d), PodDisruptionBudgets: pdbs()},
		"with a bare pod":     {Deployments: cluster.Deployments(d), PodDisruptionBudgets: pdbs(), Pods: []*cluster.Pod{bare}},
		"with another's pods": {Deployments: cluster.Deployments(d, other), ReplicaSets: []*appsv1.ReplicaSet{otherRS}, PodDisruptionBudgets: pdbs(), Pods: pods(otherRS, "api", 2)},
	}
	for name, s := range inputs {
		r := Analyze(cluster.WithTemplatePods(s))
		want := []PDB{
			{Namespace: "ns", Name: "a", SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, DesiredHealthy: 3, BlocksDrain: true, Bound: "minAvailable 3"},
			{Namespace: "ns", Name: "b", SelectedPods: 3, ExpectedKnown: true, ExpectedPods: 3, AllowsAll: true, Bound: "neither minAvailable nor maxUnavailable"},
		}
		if !reflect.DeepEqual(r.PDBs, want) {
			t.Errorf("%s: PDBs %+v\nwant %+v", name, r.PDBs, want)
		}
		var web Workload
		for _, w := range r.Workloads {
			if w.Name == "web" {
				web = w
			}
		}
		if want := (Workload{Kind: "Deployment", Namespace: "ns", Name: "web", Replicas: 3, Covered: true, Selected: true, PodsWithMultiplePDBs: 3}); web != want {
			t.Errorf("%s: workload %+v, want %+v", name, web, want)
		}
	}
	// Live, a workload with no pods has none to evict: nothing is made up.
	r := Analyze(inputs["alone"])
	if r.PDBs[0].SelectedPods != 0 || r.Workloads[0].PodsWithMultiplePDBs != 0 {
		t.Errorf("live snapshot without pods: %+v %+v", r.PDBs[0], r.Workloads[0])
	}
}

// A PDB that requires no healthy pod (neither value set, minAvailable 0,
// maxUnavailable 100%) allows every eviction: it is no coverage, though
// its pods are still selected (and two PDBs still make evictions fail).
func TestPDBThatAllowsEverythingIsNoCoverage(t *testing.T) {
	t.Parallel()
	zero, all, one := intstr.FromInt32(0), intstr.FromString("100%"), intstr.FromInt32(1)
	for name, tt := range map[string]struct {
		min, max  *intstr.IntOrString
		allowsAll bool
	}{
		"neither": {nil, nil, true}, "minAvailable 0": {&zero, nil, true}, "maxUnavailable 100%": {nil, &all, true},
		"minAvailable 1": {&one, nil, false},
	} {
		d, rs := deployment("web", 3)
		s := &cluster.Snapshot{Deployments: cluster.Deployments(d), ReplicaSets: []*appsv1.ReplicaSet{rs}, Pods: pods(rs, "web", 3),
			PodDisruptionBudgets: []*policyv1.PodDisruptionBudget{pdb("p", map[string]string{"app": "web"}, tt.min, tt.max)}}
		r := Analyze(s)
		if p := r.PDBs[0]; !p.ExpectedKnown || p.AllowsAll != tt.allowsAll {
			t.Errorf("%s: PDB %+v, want allows all %v", name, p, tt.allowsAll)
		}
		if w := r.Workloads[0]; w.Covered == tt.allowsAll || !w.Selected {
			t.Errorf("%s: workload %+v, want covered %v and selected", name, w, !tt.allowsAll)
		}
	}
}

// A PDB that holds now and the nodes and zones whose loss breaks it: web
// (minAvailable 2 of 4 ready: 2 spare) loses 3 with zone a and 2 with
// node a1 (still within budget); api (minAvailable 1 of 2: 1 spare) loses
// both with node b1; a PDB already broken counts nowhere.
func TestBudgetLoss(t *testing.T) {
	t.Parallel()
	zone := func(name, z string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: z}}}
	}
	web, webRS := deployment("web", 4)
	api, apiRS := deployment("api", 2)
	old, oldRS := deployment("old", 2)
	place := func(ps []*cluster.Pod, nodes ...string) []*cluster.Pod {
		for i, p := range ps {
			p.NodeName, p.Ready, p.Phase = nodes[i], true, corev1.PodRunning
		}
		return ps
	}
	int1, int2, int3 := intstr.FromInt32(1), intstr.FromInt32(2), intstr.FromInt32(3)
	oldPods := place(pods(oldRS, "old", 2), "c1", "c1")
	oldPods[1].Ready = false
	s := &cluster.Snapshot{
		Nodes:       []*corev1.Node{zone("a1", "a"), zone("a2", "a"), zone("b1", "b"), zone("c1", "c")},
		Deployments: cluster.Deployments(web, api, old), ReplicaSets: []*appsv1.ReplicaSet{webRS, apiRS, oldRS},
		PodDisruptionBudgets: []*policyv1.PodDisruptionBudget{
			pdb("web", map[string]string{"app": "web"}, &int2, nil),
			pdb("api", map[string]string{"app": "api"}, &int1, nil),
			pdb("old", map[string]string{"app": "old"}, &int3, nil),
		},
	}
	s.Pods = append(s.Pods, place(pods(webRS, "web", 4), "a1", "a1", "a2", "b1")...)
	s.Pods = append(s.Pods, place(pods(apiRS, "api", 2), "b1", "b1")...)
	s.Pods = append(s.Pods, oldPods...)
	r := Analyze(s)
	if want := []Domain{{"b1", 1}}; !reflect.DeepEqual(r.NodeLoss, want) {
		t.Errorf("node loss %v, want %v", r.NodeLoss, want)
	}
	if want := []Domain{{"a", 1}, {"b", 1}, {"c", 0}}; !reflect.DeepEqual(r.ZoneLoss, want) {
		t.Errorf("zone loss %v, want %v", r.ZoneLoss, want)
	}
}

// The eviction API's rules for one PDB, pod by pod: a ready pod needs a
// disruption allowed; a pod that is not ready is evicted when the policy
// is AlwaysAllow or the budget is met, and blocks otherwise (its own
// reason); a Pending pod is deleted whatever the PDB says.
func TestDrainPreflightUnhealthyPods(t *testing.T) {
	t.Parallel()
	always := policyv1.AlwaysAllow
	one, two := intstr.FromInt32(1), intstr.FromInt32(2)
	nodes := []*corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, {ObjectMeta: metav1.ObjectMeta{Name: "n2"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "n3"}}, {ObjectMeta: metav1.ObjectMeta{Name: "n4"}}}
	set := func(ps []*cluster.Pod, node string, ready, crash bool, phase corev1.PodPhase) []*cluster.Pod {
		for _, p := range ps {
			p.NodeName, p.Ready, p.CrashLooping, p.Phase = node, ready, crash, phase
		}
		return ps
	}
	// flaky: 2 pods crash-looping on n1, minAvailable 1, default policy:
	// 0 healthy of 1 desired, blocked.
	flaky, flakyRS := deployment("flaky", 2)
	// tolerant: the same under AlwaysAllow, on n2: evicted.
	tolerant, tolerantRS := deployment("tolerant", 2)
	// web: 3 pods, minAvailable 2, one not ready on n3 (budget met, 0
	// disruptions allowed: the unready one goes, the ready ones block n4).
	web, webRS := deployment("web", 3)
	webPods := pods(webRS, "web", 3)
	set(webPods[:1], "n3", false, false, corev1.PodRunning)
	set(webPods[1:], "n4", true, false, corev1.PodRunning)
	// pending: a Pending pod under a blocking PDB on n3: ignored.
	pending, pendingRS := deployment("pending", 1)
	tolerantPDB := pdb("tolerant", map[string]string{"app": "tolerant"}, &one, nil)
	tolerantPDB.Spec.UnhealthyPodEvictionPolicy = &always
	s := &cluster.Snapshot{Nodes: nodes,
		Deployments: cluster.Deployments(flaky, tolerant, web, pending), ReplicaSets: []*appsv1.ReplicaSet{flakyRS, tolerantRS, webRS, pendingRS},
		PodDisruptionBudgets: []*policyv1.PodDisruptionBudget{
			pdb("flaky", map[string]string{"app": "flaky"}, &one, nil), tolerantPDB,
			pdb("web", map[string]string{"app": "web"}, &two, nil), pdb("pending", map[string]string{"app": "pending"}, &one, nil),
		}}
	s.Pods = append(s.Pods, set(pods(flakyRS, "flaky", 2), "n1", false, true, corev1.PodRunning)...)
	s.Pods = append(s.Pods, set(pods(tolerantRS, "tolerant", 2), "n2", false, true, corev1.PodRunning)...)
	s.Pods = append(s.Pods, webPods...)
	s.Pods = append(s.Pods, set(pods(pendingRS, "pending", 1), "n3", false, false, corev1.PodPending)...)
	r := Analyze(s)
	want := []Node{
		{Name: "n1", Known: true, Blocked: true, Blocking: []Blocking{{"ns", "flaky", UnhealthyPodGuarded}}},
		{Name: "n2", Known: true},
		{Name: "n3", Known: true},
		{Name: "n4", Known: true, Blocked: true, Blocking: []Blocking{{"ns", "web", NoDisruptionsAllowed}}},
	}
	if !reflect.DeepEqual(r.Nodes, want) {
		t.Errorf("nodes\n%+v\nwant\n%+v", r.Nodes, want)
	}
	guards := map[string]bool{}
	for _, p := range r.PDBs {
		guards[p.Name] = p.GuardsCrashLooping()
		if p.Name == "flaky" && p.CrashLoopingPods != 2 {
			t.Errorf("flaky: %d crash-looping pods, want 2", p.CrashLoopingPods)
		}
	}
	if want := map[string]bool{"flaky": true, "tolerant": false, "web": false, "pending": false}; !reflect.DeepEqual(guards, want) {
		t.Errorf("guards crash-looping pods: %v, want %v", guards, want)
	}
}
