package capacity

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/resource"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// maxStranded bounds the workloads named per domain.
const maxStranded = 10

// Reasons a re-created pod finds no node: a bounded set mapped from the
// scheduler's filters (the one that rejects the most nodes names the pod's
// reason), plus insufficient_<resource> per resource the nodes offer.
const (
	ReasonNodeUnschedulable = "node_unschedulable"
	ReasonNodeAffinity      = "node_selector_or_affinity"
	ReasonTaint             = "taint"
	ReasonHostPort          = "host_port"
	ReasonPodCount          = "pod_count"
	ReasonTopologySpread    = "topology_spread"
	ReasonPodAffinity       = "pod_affinity"
	ReasonPodAntiAffinity   = "pod_anti_affinity"
	ReasonNoNodes           = "no_nodes"
	// ReasonVolumeZone: the pod's volumes cannot be reached from the
	// node (PersistentVolume node affinity or zone labels).
	ReasonVolumeZone = "volume_zone"
)

// Reasons the simulation cannot know a pod's fate: it reports those pods
// as unknown, never as placed.
const (
	// UnknownVolume: the pod mounts a PersistentVolumeClaim, whose volume
	// may be bound to a zone or node the snapshot does not hold.
	UnknownVolume = "volume_topology"
	// UnknownScheduler: the pod names a scheduler other than the default.
	UnknownScheduler = "other_scheduler"
	// UnknownOrder: whether the pod finds room depends on the order in
	// which the scheduler meets the re-created pods competing for it.
	UnknownOrder = "scheduling_order"
	// UnknownDrainOrder: during a drain, whether the pod finds room
	// depends on which pods are still on the draining node when it is
	// scheduled (they count for spread and pod affinity).
	UnknownDrainOrder = "drain_order"
	// UnknownPreemption: a preemption might evict the pod or another of
	// the same priority; the scheduler decides by start times.
	UnknownPreemption = "preemption_victim"
	// UnknownNodeChoice: whether the pod finds room depends on which of
	// several fitting nodes the scheduler's scoring gives the pods placed
	// before it (scores the simulation only approximates, ties it breaks
	// at random).
	UnknownNodeChoice = "node_choice"
)

// Stranded is one workload's share of a domain's loss.
type Stranded struct {
	// Workload is "namespace/Kind/name".
	Workload string
	// Pods of it left unschedulable, and why: the filter refusing the
	// most nodes, first in the scheduler's order on each node.
	Pods   int
	Reason string
	// Filters lists every filter refusing it on some node (what the
	// scheduler reports depends on when it last tried).
	Filters []string
}

// Domain is what losing one node or zone leaves without a place.
type Domain struct {
	Name string
	// Pods is how many pods its loss makes controllers re-create
	// elsewhere; Unschedulable how many of those find no node; Unknown
	// how many the simulation cannot decide (UnknownReasons says why).
	Pods, Unschedulable, Unknown int
	// Reasons counts the unschedulable pods by reason.
	Reasons map[string]int
	// UnknownReasons counts the undecided pods by reason.
	UnknownReasons map[string]int
	// Stranded names the workloads with an unschedulable pod, most pods
	// first, then by name, the first maxStranded.
	Stranded []Stranded
	// Undecided names the workloads with pods the simulation cannot
	// decide, by name, the first maxStranded.
	Undecided []Stranded
	// Unblocked names the workloads whose pending pods the loss lets in
	// (its pods kept a spread or anti-affinity rule unmet), with how many.
	Unblocked []Stranded
	// Hangs (drains): the drain would wait forever on a PDB whose budget
	// evicted pods use up when their replacements find no place (HangsOn
	// names those PDBs, "namespace/name"); HangUnknown: it may, by which
	// pod goes last, or because a PDB refusing a pod now may allow it
	// once the drain lets the workload's pending pods in. The pods such a
	// drain leaves on the node are not in
	// Pods, and workloads whose fate then turns on it are undecided.
	// Pods a PDB protects now are left out too (the drain pre-flight of
	// the disruption analysis reports them).
	Hangs, HangUnknown bool
	HangsOn            []string
	// Preempted counts the running pods the scheduler would evict to
	// place higher-priority re-created pods (each re-created in turn).
	Preempted int
}

// Result is one analysis.
type Result struct {
	// Nodes whose loss leaves a pod unschedulable or undecided, most
	// unschedulable first.
	Nodes []Domain
	// Zones: every zone (nodes' topology.kubernetes.io/zone), by name.
	Zones []Domain
	// Drains: nodes whose drain (cordon, then every pod but DaemonSets'
	// evicted and re-created elsewhere) leaves a pod Pending or
	// undecided, most first.
	Drains []Domain
	// UnknownRequests counts the pods on nodes whose requests are unknown
	// (no workload template): they are taken as zero, so the free capacity
	// may be smaller than computed.
	UnknownRequests int
}

// AbsorbsNodeLoss: the loss of any one node leaves every re-created pod a
// place; known is false when no node strands a pod but some leave pods
// undecided.
func (r Result) AbsorbsNodeLoss() (absorbs, known bool) { return absorbsAll(r.Nodes) }

// AbsorbsZoneLoss likewise for zones; meaningful only with zones.
func (r Result) AbsorbsZoneLoss() (absorbs, known bool) { return absorbsAll(r.Zones) }

func absorbsAll(ds []Domain) (bool, bool) {
	undecided := false
	for _, d := range ds {
		if d.Unschedulable > 0 {
			return false, true
		}
		undecided = undecided || d.Unknown > 0
	}
	return !undecided, !undecided
}

// Analyze simulates the loss of every node and every zone, and the drain
// of every node.
func Analyze(s *cluster.Snapshot) Result {
	st := build(s)
	res := Result{UnknownRequests: st.unknownRequests}
	res.Nodes = st.everyNode()
	zones := map[string][]int32{}
	for i, n := range st.nodes {
		if n.zone != "" {
			zones[n.zone] = append(zones[n.zone], int32(i))
		}
	}
	for z, members := range zones {
		res.Zones = append(res.Zones, st.simulate(z, members))
	}
	slices.SortFunc(res.Zones, func(a, b Domain) int { return cmp.Compare(a.Name, b.Name) })
	st.drain = true
	res.Drains = st.everyNode()
	return res
}

// everyNode simulates each node holding re-created pods alone and returns
// the ones that leave a pod unschedulable or undecided, most first.
func (st *state) everyNode() []Domain {
	var out []Domain
	for i := range st.nodes {
		if len(st.movers[i]) == 0 {
			continue
		}
		if d := st.simulate(st.nodes[i].name, []int32{int32(i)}); d.Unschedulable > 0 || d.Unknown > 0 || d.Hangs || d.HangUnknown {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Domain) int {
		return cmp.Or(cmp.Compare(b.Unschedulable, a.Unschedulable), cmp.Compare(b.Unknown, a.Unknown), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Drain simulates draining node: its pods evicted (DaemonSet pods stay,
// bare pods are gone) and re-created by their controllers while the node
// is cordoned. Pods the rest of the cluster cannot hold are the pods the
// drain leaves Pending.
func Drain(s *cluster.Snapshot, node string) (Domain, bool) {
	st := build(s)
	st.drain = true
	for i, n := range st.nodes {
		if n.name == node {
			return st.simulate(node, []int32{int32(i)}), true
		}
	}
	return Domain{}, false
}

func terminal(p *cluster.Pod) bool {
	return p.Phase == corev1.PodSucceeded || p.Phase == corev1.PodFailed
}

// podRequest is the scheduler's view of a pod's requests: the larger of
// its containers' sum and any init container, sidecars and overhead
// included.
func (st *state) podRequest(spec *corev1.PodSpec) corev1.ResourceList {
	// One pod to hand the library, reused: a new one per workload was a
	// kilobyte of garbage each.
	st.scratchPod.Spec = *spec
	req := resource.PodRequests(&st.scratchPod, resource.PodResourcesOptions{})
	st.scratchPod.Spec = corev1.PodSpec{}
	return req
}

// reasonFor names an insufficient resource as a reason label value.
func reasonFor(r corev1.ResourceName) string {
	if r == corev1.ResourcePods {
		return ReasonPodCount
	}
	return "insufficient_" + strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(string(r))
}

// nodeZone is placement's zone of a node.
var nodeZone = cluster.NodeZone
