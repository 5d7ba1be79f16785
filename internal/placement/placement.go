package placement

import (
	"cmp"
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Workload kinds, as they appear in the owner_kind label.
const (
	KindDeployment  = cluster.KindDeployment
	KindStatefulSet = cluster.KindStatefulSet
	KindReplicaSet  = cluster.KindReplicaSet
)

// Policy is a way a pod template asks the scheduler to spread its own
// replicas. A template can use several at once.
type Policy uint8

// The spread policies, in the order they are reported.
const (
	RequiredAntiAffinity Policy = 1 << iota
	PreferredAntiAffinity
	TopologySpread
)

// PolicyNames lists every policy name reported, "none" last; a state-set
// metric emits one series per name.
var PolicyNames = []string{"required_anti_affinity", "preferred_anti_affinity", "topology_spread", "none"}

// Has reports whether the set holds the policy with the given name from
// PolicyNames ("none" holds when no policy does).
func (p Policy) Has(name string) bool {
	switch name {
	case "required_anti_affinity":
		return p&RequiredAntiAffinity != 0
	case "preferred_anti_affinity":
		return p&PreferredAntiAffinity != 0
	case "topology_spread":
		return p&TopologySpread != 0
	case "none":
		return p == 0
	}
	return false
}

// Workload is the placement verdict for one workload.
type Workload struct {
	Kind, Namespace, Name string

	DesiredReplicas int32
	ReadyReplicas   int
	// MaxReadyOnNode is the largest number of ready replicas on one node.
	MaxReadyOnNode int

	EligibleNodes, EligibleZones int
	// NodeSkew and ZoneSkew are valid only when the matching Known flag is
	// set: with no eligible domain there is no skew to speak of, and a made-up
	// 0 would hide the problem.
	NodeSkew, ZoneSkew           int
	NodeSkewKnown, ZoneSkewKnown bool

	// SingleNode: at least 2 ready replicas, all on one node.
	SingleNode bool
	// SingleZone: at least 2 ready replicas, all in one zone, while the
	// workload could use 2 or more zones.
	SingleZone bool

	Policies Policy
	// PinnedZone is the one zone the template's nodeSelector or required
	// node affinity allows, if it allows only one: that zone's loss takes
	// the workload down whatever its spread ("" when not pinned).
	PinnedZone string
}

// Zone counts the nodes in one zone.
type Zone struct {
	Name             string
	Nodes            int
	SchedulableNodes int
}

// Result is the outcome of one analysis, sorted for stable output.
type Result struct {
	Workloads        []Workload // by namespace, kind, name
	Zones            []Zone     // by name
	NodesWithoutZone int
}

// PodReady reports whether a pod counts as a ready replica (see
// cluster.PodReady).
func PodReady(p *cluster.Pod) bool { return cluster.PodReady(p) }

type workloadState struct {
	w         Workload
	template  *cluster.Template
	nodeCount map[string]int
}

// Analyze computes the placement of every workload in the snapshot.
// Cost is O(pods + workloads + nodes × distinct node constraints): node
// eligibility is computed once per distinct nodeSelector/required affinity,
// not once per workload.
func Analyze(s *cluster.Snapshot) Result {
	var res Result
	nodes := make(map[string]*corev1.Node, len(s.Nodes))
	zones := map[string]*Zone{}
	for _, n := range s.Nodes {
		nodes[n.Name] = n
		z := cluster.NodeZone(n)
		if z == "" {
			res.NodesWithoutZone++
			continue
		}
		zs := zones[z]
		if zs == nil {
			zs = &Zone{Name: z}
			zones[z] = zs
		}
		zs.Nodes++
		if !n.Spec.Unschedulable {
			zs.SchedulableNodes++
		}
	}
	for _, z := range zones {
		res.Zones = append(res.Zones, *z)
	}
	slices.SortFunc(res.Zones, func(a, b Zone) int { return cmp.Compare(a.Name, b.Name) })

	var states []*workloadState
	for _, cw := range cluster.Workloads(s) {
		if cw.Kind == cluster.KindDaemonSet {
			continue // one pod per node by design
		}
		st := &workloadState{
			w: Workload{
				Kind: cw.Kind, Namespace: cw.Meta.Namespace, Name: cw.Meta.Name,
				DesiredReplicas: cw.Replicas,
				Policies:        policies(cw.Meta.Namespace, cw.Template),
				PinnedZone:      pinnedZone(cw.Template),
			},
			template: cw.Template,
			// Sized once: grown pod by pod, these maps were the
			// analysis' largest garbage.
			nodeCount: make(map[string]int, len(cw.Pods)),
		}
		for _, p := range cw.Pods {
			if PodReady(p) && p.NodeName != "" {
				st.w.ReadyReplicas++
				st.nodeCount[p.NodeName]++
			}
		}
		states = append(states, st)
	}

	elig := newEligibility(s.Nodes)
	res.Workloads = make([]Workload, 0, len(states))
	for _, st := range states {
		finish(st, nodes, elig.forTemplate(st.template))
		res.Workloads = append(res.Workloads, st.w)
	}
	return res
}

// finish turns per-node counts into the workload's verdict.
func finish(st *workloadState, nodes map[string]*corev1.Node, el *eligibleSet) {
	w := &st.w
	w.EligibleNodes = len(el.nodes)
	w.EligibleZones = len(el.zones)

	zoneCount := map[string]int{}
	inKnownZone := 0
	eligibleNodesUsed, minNode := 0, -1
	for node, n := range st.nodeCount {
		w.MaxReadyOnNode = max(w.MaxReadyOnNode, n)
		if _, ok := el.nodes[node]; ok {
			eligibleNodesUsed++
			if minNode < 0 || n < minNode {
				minNode = n
			}
		}
		// A pod bound to a node that no longer exists has no zone.
		if nd := nodes[node]; nd != nil {
			if z := cluster.NodeZone(nd); z != "" {
				zoneCount[z] += n
				inKnownZone += n
			}
		}
	}
	if eligibleNodesUsed < len(el.nodes) {
		minNode = 0 // an eligible node holds none
	}
	if len(el.nodes) > 0 {
		w.NodeSkew, w.NodeSkewKnown = w.MaxReadyOnNode-minNode, true
	}

	maxZone, minZone, eligibleZonesUsed := 0, -1, 0
	for z, n := range zoneCount {
		maxZone = max(maxZone, n)
		if _, ok := el.zones[z]; ok {
			eligibleZonesUsed++
			if minZone < 0 || n < minZone {
				minZone = n
			}
		}
	}
	if eligibleZonesUsed < len(el.zones) {
		minZone = 0
	}
	if len(el.zones) > 0 {
		w.ZoneSkew, w.ZoneSkewKnown = maxZone-minZone, true
	}

	w.SingleNode = w.ReadyReplicas >= 2 && len(st.nodeCount) == 1
	w.SingleZone = w.ReadyReplicas >= 2 && len(zoneCount) == 1 && inKnownZone == w.ReadyReplicas && len(el.zones) >= 2
}

// policies returns the spread policies of a pod template: only terms whose
// label selector selects the template's own pods spread them; an
// anti-affinity against some other app does not.
func policies(namespace string, t *cluster.Template) Policy {
	var p Policy
	own := labels.Set(t.Labels)
	selects := func(sel *metav1.LabelSelector) bool {
		s, err := metav1.LabelSelectorAsSelector(sel)
		return err == nil && s.Matches(own)
	}
	inNamespace := func(term corev1.PodAffinityTerm) bool {
		return len(term.Namespaces) == 0 || slices.Contains(term.Namespaces, namespace) || term.NamespaceSelector != nil
	}
	if a := t.Spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		for _, term := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			if inNamespace(term) && selects(term.LabelSelector) {
				p |= RequiredAntiAffinity
			}
		}
		for _, wt := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if inNamespace(wt.PodAffinityTerm) && selects(wt.PodAffinityTerm.LabelSelector) {
				p |= PreferredAntiAffinity
			}
		}
	}
	for _, c := range t.Spec.TopologySpreadConstraints {
		if selects(c.LabelSelector) {
			p |= TopologySpread
		}
	}
	return p
}

type eligibleSet struct {
	nodes map[string]struct{}
	zones map[string]struct{}
}

// eligibility caches eligible node sets by the constraint that decides
// them, because most workloads share one (usually: none at all).
type eligibility struct {
	nodes []*corev1.Node
	cache map[string]*eligibleSet
}

func newEligibility(nodes []*corev1.Node) *eligibility {
	return &eligibility{nodes: nodes, cache: map[string]*eligibleSet{}}
}

func (e *eligibility) forTemplate(t *cluster.Template) *eligibleSet {
	var required *corev1.NodeSelector
	if t.Spec.Affinity != nil && t.Spec.Affinity.NodeAffinity != nil {
		required = t.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	key := ""
	if len(t.Spec.NodeSelector) > 0 || required != nil {
		// Marshalling cannot fail for these plain structs; a failure would
		// only cost the cache hit.
		b, _ := json.Marshal(struct {
			S map[string]string
			A *corev1.NodeSelector
		}{t.Spec.NodeSelector, required})
		key = string(b)
	}
	if set, ok := e.cache[key]; ok {
		return set
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: t.Spec.NodeSelector, Affinity: t.Spec.Affinity}}
	match := nodeaffinity.GetRequiredNodeAffinity(pod)
	set := &eligibleSet{nodes: map[string]struct{}{}, zones: map[string]struct{}{}}
	for _, n := range e.nodes {
		if n.Spec.Unschedulable {
			continue
		}
		// Match errors come from malformed selector operators; such a term
		// matches nothing, as the scheduler treats it.
		if ok, err := match.Match(n); err != nil || !ok {
			continue
		}
		set.nodes[n.Name] = struct{}{}
		if z := cluster.NodeZone(n); z != "" {
			set.zones[z] = struct{}{}
		}
	}
	e.cache[key] = set
	return set
}

// zoneKeys are the node labels that name a zone: the current one and the
// beta one older manifests still use.
var zoneKeys = []string{corev1.LabelTopologyZone, corev1.LabelFailureDomainBetaZone}

// pinnedZone returns the single zone t may run in, from its nodeSelector or
// its required node affinity (every term must pin the same one zone: terms
// are ORed), or "".
func pinnedZone(t *cluster.Template) string {
	if t == nil {
		return ""
	}
	for _, k := range zoneKeys {
		if z := t.Spec.NodeSelector[k]; z != "" {
			return z
		}
	}
	a := t.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	zone := ""
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		z := ""
		for _, e := range term.MatchExpressions {
			if slices.Contains(zoneKeys, e.Key) && e.Operator == corev1.NodeSelectorOpIn && len(e.Values) == 1 {
				z = e.Values[0]
			}
		}
		if z == "" || (zone != "" && z != zone) {
			return ""
		}
		zone = z
	}
	return zone
}
