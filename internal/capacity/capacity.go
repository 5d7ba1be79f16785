package capacity

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/resource"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
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
)

// Stranded is one workload's share of a domain's loss.
type Stranded struct {
	// Workload is "namespace/Kind/name".
	Workload string
	// Pods of it left unschedulable, and why (the reason of the first).
	Pods   int
	Reason string
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
	// Preempted counts the running pods the scheduler would evict to
	// place higher-priority re-created pods (each re-created in turn).
	Preempted int
}

// StrandedNames lists the stranded workloads' names.
func (d Domain) StrandedNames() []string {
	out := make([]string, len(d.Stranded))
	for i, s := range d.Stranded {
		out[i] = s.Workload
	}
	return out
}

// Result is one analysis.
type Result struct {
	// Nodes whose loss leaves a pod unschedulable or undecided, most
	// unschedulable first.
	Nodes []Domain
	// Zones: every zone (nodes' topology.kubernetes.io/zone), by name.
	Zones []Domain
	// UnknownRequests counts the pods on nodes whose requests are unknown
	// (no workload template): they are taken as zero, so the free capacity
	// may be smaller than computed.
	UnknownRequests int
}

// AbsorbsNodeLoss: the loss of any one node leaves every re-created pod a
// place.
func (r Result) AbsorbsNodeLoss() bool {
	for _, n := range r.Nodes {
		if n.Unschedulable > 0 {
			return false
		}
	}
	return true
}

// AbsorbsZoneLoss likewise for zones; meaningful only with zones.
func (r Result) AbsorbsZoneLoss() bool {
	for _, z := range r.Zones {
		if z.Unschedulable > 0 {
			return false
		}
	}
	return true
}

// Analyze simulates the loss of every node and every zone.
func Analyze(s *cluster.Snapshot) Result {
	st := build(s)
	res := Result{UnknownRequests: st.unknownRequests}
	for i := range st.nodes {
		if len(st.movers[i]) == 0 {
			continue
		}
		if d := st.simulate(st.nodes[i].name, []int32{int32(i)}); d.Unschedulable > 0 || d.Unknown > 0 {
			res.Nodes = append(res.Nodes, d)
		}
	}
	slices.SortFunc(res.Nodes, func(a, b Domain) int {
		return cmp.Or(cmp.Compare(b.Unschedulable, a.Unschedulable), cmp.Compare(b.Unknown, a.Unknown), cmp.Compare(a.Name, b.Name))
	})
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
	return res
}

// Drain simulates draining node: its pods evicted (DaemonSet pods stay,
// bare pods are gone) and re-created by their controllers while the node
// is cordoned. Pods the rest of the cluster cannot hold are the pods the
// drain leaves Pending.
func Drain(s *cluster.Snapshot, node string) (Domain, bool) {
	st := build(s)
	for i, n := range st.nodes {
		if n.name == node {
			return st.simulate(node, []int32{int32(i)}), true
		}
	}
	return Domain{}, false
}

// Drains simulates draining each node that holds re-created pods and
// returns the ones that would leave a pod Pending or undecided, most
// first (one build for all of them).
func Drains(s *cluster.Snapshot) []Domain {
	st := build(s)
	var out []Domain
	for i := range st.nodes {
		if len(st.movers[i]) == 0 {
			continue
		}
		if d := st.simulate(st.nodes[i].name, []int32{int32(i)}); d.Unschedulable > 0 || d.Unknown > 0 {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Domain) int {
		return cmp.Or(cmp.Compare(b.Unschedulable, a.Unschedulable), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func terminal(p *cluster.Pod) bool {
	return p.Phase == corev1.PodSucceeded || p.Phase == corev1.PodFailed
}

// podRequest is the scheduler's view of a pod's requests: the larger of
// its containers' sum and any init container, sidecars and overhead
// included.
func podRequest(spec *corev1.PodSpec) corev1.ResourceList {
	return resource.PodRequests(&corev1.Pod{Spec: *spec}, resource.PodResourcesOptions{})
}

// reasonFor names an insufficient resource as a reason label value.
func reasonFor(r corev1.ResourceName) string {
	if r == corev1.ResourcePods {
		return ReasonPodCount
	}
	return "insufficient_" + strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(string(r))
}

// nodeZone is placement's zone of a node.
var nodeZone = placement.NodeZone
