package disruption

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// PDB is the verdict on one PodDisruptionBudget.
type PDB struct {
	Namespace, Name string
	// Invalid is set (with the reason) when the selector or the
	// minAvailable/maxUnavailable value does not parse; nothing else is
	// known then.
	Invalid string

	SelectedPods int
	// ExpectedKnown says whether ExpectedPods, DesiredHealthy and
	// BlocksDrain could be computed.
	ExpectedKnown  bool
	ExpectedPods   int
	DesiredHealthy int
	// Bound says what the budget sets, as its spec does: "maxUnavailable
	// 1", "minAvailable 0", "minAvailable 50%", or "neither minAvailable
	// nor maxUnavailable".
	Bound string
	// BlocksDrain: with every expected pod healthy the PDB still allows no
	// disruption, so no eviction of its pods ever succeeds.
	BlocksDrain bool
	// AllowsAll: the PDB requires no healthy pod (neither minAvailable nor
	// maxUnavailable, minAvailable 0, maxUnavailable 100%), so it allows
	// every eviction and protects nothing. Known when ExpectedKnown.
	AllowsAll bool
	// BlocksDrainAtAutoscalerMin: minAvailable is at least the replicas
	// its workloads have when their HorizontalPodAutoscalers scale them to
	// their minimum, so every drain hangs whenever they scale in (and not
	// only now: BlocksDrain says that).
	BlocksDrainAtAutoscalerMin bool
	// CurrentHealthy counts the selected pods that are ready and not being
	// deleted; DisruptionsAllowed is what the disruption controller would
	// put in the PDB's status now (CurrentHealthy - DesiredHealthy, at
	// least 0). Known when ExpectedKnown.
	CurrentHealthy, DisruptionsAllowed int
	// AlwaysAllowUnhealthy: unhealthyPodEvictionPolicy AlwaysAllow, so
	// pods that are not ready are evicted whatever the budget.
	AlwaysAllowUnhealthy bool
	// CrashLoopingPods counts the selected pods that crash-loop.
	CrashLoopingPods int
}

// GuardsCrashLooping: the PDB keeps the default unhealthyPodEvictionPolicy
// (IfHealthyBudget) over crash-looping pods: their eviction is refused
// while the budget is not met, which a crash loop usually sees to, so
// drains hang on pods that serve nothing.
func (p PDB) GuardsCrashLooping() bool { return !p.AlwaysAllowUnhealthy && p.CrashLoopingPods > 0 }

// Node is the drain pre-flight of one node: would `kubectl drain` hang on
// it right now?
type Node struct {
	Name string
	// Known is false when a PDB over one of its pods has no computable
	// budget: the verdict is unknown then, not "drainable".
	Known bool
	// Blocked: an eviction of one of its pods is refused now (a PDB that
	// allows no disruption, or a pod under several PDBs), so the drain
	// waits on it until the cluster changes.
	Blocked bool
	// Blocking lists why: the PDBs that refuse, by reason.
	Blocking []Blocking
}

// Blocking is one PDB that refuses the eviction of a node's pod.
type Blocking struct {
	Namespace, PDB string
	// Reason is NoDisruptionsAllowed or MultiplePDBs.
	Reason string
}

// Why a drain is blocked.
const (
	NoDisruptionsAllowed = "no_disruptions_allowed"
	MultiplePDBs         = "multiple_pdbs"
	// UnhealthyPodGuarded: a pod that is not ready, under a PDB whose
	// budget is not met and whose unhealthyPodEvictionPolicy is not
	// AlwaysAllow (with it, the pod would be evicted).
	UnhealthyPodGuarded = "unhealthy_pod_guarded"
)

// Workload is the disruption verdict on one workload.
type Workload struct {
	Kind, Namespace, Name string
	Replicas              int32
	// Covered: a PDB that protects something (not AllowsAll) selects the
	// workload's pods (decided on its template).
	Covered bool
	// Selected: any valid PDB selects them, protecting or not.
	Selected bool
	// PodsWithMultiplePDBs counts the workload's pods selected by more than
	// one PDB: the eviction API refuses to evict them.
	PodsWithMultiplePDBs int
}

// Result is one analysis, sorted by namespace and name.
type Result struct {
	PDBs      []PDB
	Workloads []Workload
	// Nodes holds every node's drain pre-flight, sorted by name.
	Nodes []Node
	// NodeLoss: the nodes whose loss would push a PDB that holds now
	// below its desired healthy pods, most PDBs first. ZoneLoss: every
	// zone, by name, with the PDBs its loss would push below.
	NodeLoss, ZoneLoss []Domain
	// Evictions says, per pod a drain evicts that a PDB covers, whether
	// the eviction API refuses it now and the budget it draws on.
	Evictions map[*cluster.Pod]Eviction
}

// Eviction is what the eviction API does with a pod now.
type Eviction struct {
	// Refused: a PDB allows no disruption of it now, or it is under
	// several PDBs.
	Refused bool
	// Budget names its one PDB ("namespace/name") and Allowed the
	// disruptions that PDB allows now: each eviction spends one, each
	// replacement that becomes ready gives it back.
	Budget  string
	Allowed int
}

// Domain is a node or zone and the PDBs its loss breaks.
type Domain struct {
	Name string
	PDBs int
}

type parsed struct {
	pdb      *policyv1.PodDisruptionBudget
	selector labels.Selector
	// protects: the PDB requires some healthy pod, or that is unknown.
	protects bool
}

// Analyze computes the disruption verdicts from the snapshot's pods, as
// the disruption controller and the eviction API do; the audit of
// manifests gives it the pods of workloads the input holds none of
// (cluster.WithTemplatePods). DaemonSets are left out: a drain skips
// their pods.
func Analyze(s *cluster.Snapshot) Result {
	var res Result
	workloads := cluster.Workloads(s)
	podOwner, workloadsByNS, podsByNS := indexPDBNamespaces(s, workloads)

	byNS := map[string][]parsed{}
	// podPDBs lists, per pod, the valid PDBs that select it.
	podPDBs := map[*cluster.Pod][]parsed{}
	budgets := newBudgetLoss(s)
	for _, pdb := range s.PodDisruptionBudgets {
		v := PDB{Namespace: pdb.Namespace, Name: pdb.Name}
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			v.Invalid = fmt.Sprintf("selector: %v", err)
			res.PDBs = append(res.PDBs, v)
			continue
		}
		if err := checkValues(pdb); err != nil {
			v.Invalid = err.Error()
			res.PDBs = append(res.PDBs, v)
			continue
		}
		var candidates []*cluster.Pod
		if ix := podsByNS[pdb.Namespace]; ix != nil {
			candidates = ix.candidates(pdb.Spec.Selector)
		}
		var selected []*cluster.Pod
		v, selected = fromPods(v, pdb, sel, candidates, podOwner)
		p := parsed{pdb, sel, !v.AllowsAll}
		byNS[pdb.Namespace] = append(byNS[pdb.Namespace], p)
		for _, pod := range selected {
			podPDBs[pod] = append(podPDBs[pod], p)
		}
		budgets.add(v, selected)
		res.PDBs = append(res.PDBs, v)
	}

	covers := coverageOf(byNS, workloadsByNS)
	atAutoscalerMin(res.PDBs, byNS, workloadsByNS, workloads)
	for _, w := range workloads {
		if w.Kind == cluster.KindDaemonSet {
			continue
		}
		v := Workload{Kind: w.Kind, Namespace: w.Meta.Namespace, Name: w.Meta.Name, Replicas: w.Replicas}
		v.Selected, v.Covered = covers[w].selected, covers[w].covered
		for _, pod := range w.Pods {
			if !pod.Terminating && len(podPDBs[pod]) > 1 {
				v.PodsWithMultiplePDBs++
			}
		}
		res.Workloads = append(res.Workloads, v)
	}
	slices.SortFunc(res.PDBs, func(a, b PDB) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	res.Nodes, res.Evictions = drainPreflight(s, podPDBs, res.PDBs)
	res.NodeLoss, res.ZoneLoss = budgets.result()
	return res
}

// indexPDBNamespaces indexes, in the namespaces that have a PDB (most
// have none), the pods' owners, and the workloads and pods by label.
func indexPDBNamespaces(s *cluster.Snapshot, workloads []*cluster.Workload) (map[*cluster.Pod]*cluster.Workload, map[string]*labelIndex[*cluster.Workload], map[string]*labelIndex[*cluster.Pod]) {
	pdbNamespaces := map[string]bool{}
	for _, pdb := range s.PodDisruptionBudgets {
		pdbNamespaces[pdb.Namespace] = true
	}
	podOwner := map[*cluster.Pod]*cluster.Workload{}
	workloadsByNS := map[string]*labelIndex[*cluster.Workload]{}
	for _, w := range workloads {
		if !pdbNamespaces[w.Meta.Namespace] {
			continue
		}
		for _, p := range w.Pods {
			podOwner[p] = w
		}
		if w.Kind == cluster.KindDaemonSet {
			continue
		}
		ix := workloadsByNS[w.Meta.Namespace]
		if ix == nil {
			ix = newLabelIndex[*cluster.Workload]()
			workloadsByNS[w.Meta.Namespace] = ix
		}
		ix.add(w, w.Template.Labels)
	}
	podsByNS := map[string]*labelIndex[*cluster.Pod]{}
	for _, p := range s.Pods {
		if !pdbNamespaces[p.Namespace] {
			continue
		}
		ix := podsByNS[p.Namespace]
		if ix == nil {
			ix = newLabelIndex[*cluster.Pod]()
			podsByNS[p.Namespace] = ix
		}
		ix.add(p, p.Labels)
	}
	return podOwner, workloadsByNS, podsByNS
}

// coverage says whether some PDB selects a workload's template, and
// whether one that protects it does.
type coverage struct{ selected, covered bool }

// coverageOf finds which PDBs select each workload's template.
func coverageOf(byNS map[string][]parsed, workloadsByNS map[string]*labelIndex[*cluster.Workload]) map[*cluster.Workload]coverage {
	covers := map[*cluster.Workload]coverage{}
	for ns, pdbs := range byNS {
		ix := workloadsByNS[ns]
		if ix == nil {
			continue
		}
		for _, p := range pdbs {
			for _, w := range ix.candidates(p.pdb.Spec.Selector) {
				if p.selector.Matches(labels.Set(w.Template.Labels)) {
					c := covers[w]
					covers[w] = coverage{true, c.covered || p.protects}
				}
			}
		}
	}
	return covers
}

// atAutoscalerMin marks the PDBs whose integer minAvailable reaches the
// replicas their workloads keep at their autoscalers' minimum (other
// workloads they select at their replicas).
func atAutoscalerMin(pdbs []PDB, byNS map[string][]parsed, workloadsByNS map[string]*labelIndex[*cluster.Workload], workloads []*cluster.Workload) {
	index := map[[2]string]int{}
	for i, p := range pdbs {
		index[[2]string{p.Namespace, p.Name}] = i
	}
	// Only namespaces with an autoscaler can have such a PDB.
	autoscaled := map[string]bool{}
	for _, w := range workloads {
		if w.Autoscaler != nil {
			autoscaled[w.Meta.Namespace] = true
		}
	}
	for ns := range autoscaled {
		ix := workloadsByNS[ns]
		if ix == nil {
			continue
		}
		for _, p := range byNS[ns] {
			ma := p.pdb.Spec.MinAvailable
			if ma == nil || ma.Type != intstr.Int {
				continue
			}
			isAutoscaled, floor := false, 0
			for _, w := range ix.candidates(p.pdb.Spec.Selector) {
				if !p.selector.Matches(labels.Set(w.Template.Labels)) {
					continue
				}
				if w.Autoscaler != nil {
					isAutoscaled = true
					floor += int(w.Autoscaler.Min)
				} else {
					floor += int(w.Replicas)
				}
			}
			if i, ok := index[[2]string{ns, p.pdb.Name}]; ok && isAutoscaled && int(ma.IntVal) >= floor && floor > 0 {
				pdbs[i].BlocksDrainAtAutoscalerMin = true
			}
		}
	}
}

// drainPreflight answers, per node, whether a drain would hang now: it
// evicts every pod but DaemonSets', mirror pods and finished ones, and the
// eviction API refuses a pod selected by several PDBs, or by one whose
// budget allows no disruption (the pod healthy or not: an unhealthy pod
// is evictable only while the budget holds, under the default
// unhealthyPodEvictionPolicy).
func drainPreflight(s *cluster.Snapshot, podPDBs map[*cluster.Pod][]parsed, pdbs []PDB) ([]Node, map[*cluster.Pod]Eviction) {
	// Sized once: only pods a PDB selects get an entry, and growing it
	// pod by pod copied it over and over (7 MB a run at 150,000 pods).
	evictions := make(map[*cluster.Pod]Eviction, len(podPDBs))
	// Each budget's name is made once, not once per pod it selects.
	type budget struct {
		PDB
		name string
	}
	verdict := map[[2]string]budget{}
	for _, p := range pdbs {
		verdict[[2]string{p.Namespace, p.Name}] = budget{p, p.Namespace + "/" + p.Name}
	}
	nodes := map[string]*Node{}
	for _, n := range s.Nodes {
		nodes[n.Name] = &Node{Name: n.Name, Known: true}
	}
	for _, pod := range s.Pods {
		n := nodes[pod.NodeName]
		if n == nil || !drained(pod) {
			continue
		}
		matching := podPDBs[pod]
		add := func(p parsed, reason string) {
			b := Blocking{Namespace: p.pdb.Namespace, PDB: p.pdb.Name, Reason: reason}
			if !slices.Contains(n.Blocking, b) {
				n.Blocking = append(n.Blocking, b)
			}
			n.Blocked = true
			evictions[pod] = Eviction{Refused: true}
		}
		if len(matching) == 1 && pod.Ready {
			v := verdict[[2]string{matching[0].pdb.Namespace, matching[0].pdb.Name}]
			evictions[pod] = Eviction{Budget: v.name, Allowed: v.DisruptionsAllowed}
		}
		switch {
		case len(matching) > 1:
			for _, p := range matching {
				add(p, MultiplePDBs)
			}
		case len(matching) == 1:
			v := verdict[[2]string{matching[0].pdb.Namespace, matching[0].pdb.Name}]
			switch {
			case !v.ExpectedKnown:
				n.Known = false
			case !pod.Ready && (v.AlwaysAllowUnhealthy || (v.CurrentHealthy >= v.DesiredHealthy && v.DesiredHealthy > 0)):
				// An unhealthy pod is evicted without touching the
				// budget when the policy says so or the budget is met.
			case v.DisruptionsAllowed == 0 && !pod.Ready:
				add(matching[0], UnhealthyPodGuarded)
			case v.DisruptionsAllowed == 0:
				add(matching[0], NoDisruptionsAllowed)
			}
		}
	}
	out := make([]Node, 0, len(nodes))
	for _, n := range nodes {
		slices.SortFunc(n.Blocking, func(a, b Blocking) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.PDB, b.PDB), cmp.Compare(a.Reason, b.Reason))
		})
		if n.Blocked {
			n.Known = true // refused whatever the unknown budgets say
		}
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b Node) int { return cmp.Compare(a.Name, b.Name) })
	return out, evictions
}

// drained reports whether kubectl drain evicts the pod: not a DaemonSet's
// (skipped with --ignore-daemonsets), not a mirror pod (the kubelet's, not
// the API's), not finished or already being deleted.
func drained(p *cluster.Pod) bool {
	if p.Terminating || p.Phase == corev1.PodSucceeded || p.Phase == corev1.PodFailed {
		return false
	}
	if p.Phase == corev1.PodPending {
		return false // deleted whatever its PDBs say (canIgnorePDB)
	}
	if ref := cluster.ControllerOf(p.OwnerReferences); ref != nil && (ref.Kind == cluster.KindDaemonSet || ref.Kind == "Node") {
		return false
	}
	return true
}

// checkValues rejects values the disruption controller cannot scale
// ("abc", "150%" is allowed and caps at the count).
func checkValues(pdb *policyv1.PodDisruptionBudget) error {
	for name, v := range map[string]*intstr.IntOrString{"minAvailable": pdb.Spec.MinAvailable, "maxUnavailable": pdb.Spec.MaxUnavailable} {
		if v == nil {
			continue
		}
		if _, err := intstr.GetScaledValueFromIntOrPercent(v, 10, true); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// fromPods follows pkg/controller/disruption: getPodsForPdb,
// getExpectedPodCount and getExpectedScale.
func fromPods(v PDB, pdb *policyv1.PodDisruptionBudget, sel labels.Selector, pods []*cluster.Pod, owner map[*cluster.Pod]*cluster.Workload) (PDB, []*cluster.Pod) {
	var selected []*cluster.Pod
	for _, p := range pods {
		if sel.Matches(labels.Set(p.Labels)) {
			selected = append(selected, p)
		}
	}
	v.SelectedPods = len(selected)
	v.AlwaysAllowUnhealthy = pdb.Spec.UnhealthyPodEvictionPolicy != nil && *pdb.Spec.UnhealthyPodEvictionPolicy == policyv1.AlwaysAllow
	for _, p := range selected {
		if p.Ready && !p.Terminating {
			v.CurrentHealthy++
		}
		if p.CrashLooping && !p.Terminating {
			v.CrashLoopingPods++
		}
	}
	scale := func() (int, bool) {
		controllers := map[*cluster.Workload]bool{}
		total := 0
		for _, p := range selected {
			if cluster.ControllerOf(p.OwnerReferences) == nil {
				continue // unmanaged pods are left out of the scale
			}
			w := owner[p]
			if w == nil || w.Kind == cluster.KindDaemonSet {
				// The controller finds no scale for it and the PDB's status
				// stays uncomputed: unknown, not zero.
				return 0, false
			}
			if !controllers[w] {
				controllers[w] = true
				total += int(w.Replicas)
			}
		}
		return total, true
	}
	return desiredHealthy(v, pdb, len(selected), scale), selected
}

func desiredHealthy(v PDB, pdb *policyv1.PodDisruptionBudget, selected int, scale func() (int, bool)) PDB {
	var expected, desired int
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		v.Bound = "maxUnavailable " + pdb.Spec.MaxUnavailable.String()
	case pdb.Spec.MinAvailable != nil:
		v.Bound = "minAvailable " + pdb.Spec.MinAvailable.String()
	default:
		v.Bound = "neither minAvailable nor maxUnavailable"
	}
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		n, ok := scale()
		if !ok {
			return v
		}
		maxUnavailable, _ := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, n, true)
		expected, desired = n, max(n-maxUnavailable, 0)
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		expected, desired = selected, int(pdb.Spec.MinAvailable.IntVal)
	case pdb.Spec.MinAvailable != nil:
		n, ok := scale()
		if !ok {
			return v
		}
		minAvailable, _ := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, n, true)
		expected, desired = n, minAvailable
	default:
		expected = selected // neither set: every disruption is allowed
	}
	v.ExpectedKnown, v.ExpectedPods, v.DesiredHealthy = true, expected, desired
	// With every expected pod healthy, currentHealthy = expected.
	v.BlocksDrain = expected > 0 && expected-desired <= 0
	v.AllowsAll = desired <= 0
	v.DisruptionsAllowed = max(v.CurrentHealthy-desired, 0)
	return v
}
