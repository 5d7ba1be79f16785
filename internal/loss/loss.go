package loss

import (
	"cmp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Workload is what losing a node or a zone does to one workload.
type Workload struct {
	Kind, Namespace, Name string
	// Desired replicas (1 for a bare pod) and ready ones now.
	Desired int32
	Ready   int
	// AfterNodeLoss: ready replicas left after losing the node holding
	// most of them (WorstNode); 0 means one node takes it down.
	AfterNodeLoss int
	WorstNode     string
	// AfterZoneLoss and WorstZone likewise for zones; valid only when
	// ZoneKnown (every ready replica's node has a zone label).
	AfterZoneLoss int
	WorstZone     string
	ZoneKnown     bool
}

// Ref names a workload.
type Ref struct{ Kind, Namespace, Name string }

// Autoscaled is a workload and what scales it.
type Autoscaled struct {
	Ref
	By cluster.Autoscaler
}

// SingleReplica: the workload asks for one replica (or is a bare pod), a
// single point of failure by construction.
func (w Workload) SingleReplica() bool { return w.Desired == 1 }

// Domain is a node or a zone and the workloads its loss takes down
// entirely (every ready replica on it).
type Domain struct {
	Name string
	Lost int
}

// Result is one simulation, sorted.
type Result struct {
	// Workloads with at least one ready replica, by namespace, kind, name.
	Workloads []Workload
	// Nodes whose loss takes down at least one workload, most first.
	Nodes []Domain
	// Zones, every one, by name; ZonesKnown is false when a ready
	// replica runs on a node without a zone label (the zone verdicts are
	// then unknown).
	Zones      []Domain
	ZonesKnown bool
	// AutoscaledToOne: workloads a HorizontalPodAutoscaler or a KEDA
	// ScaledObject may scale down to a single replica or none (minimum 1
	// or 0), ready or not.
	AutoscaledToOne []Autoscaled
	// RecreateBehindService: Deployments with the Recreate strategy whose
	// pods a Service selects: every rollout takes all of them down first.
	RecreateBehindService []Ref
	// SlowReplacement: workloads whose pods on a node that stops
	// answering are replaced later than DefaultUnreachableSeconds.
	SlowReplacement []Delayed
}

// SurvivesNodeLoss: no single node's loss takes a workload down.
func (r Result) SurvivesNodeLoss() bool { return len(r.Nodes) == 0 }

// SurvivesZoneLoss: no single zone's loss takes a workload down; valid
// only when ZonesKnown.
func (r Result) SurvivesZoneLoss() bool {
	for _, z := range r.Zones {
		if z.Lost > 0 {
			return false
		}
	}
	return true
}

// Analyze simulates the loss of every node and every zone. DaemonSets are
// left out (one pod per node by design); bare pods count as workloads of
// one.
func Analyze(s *cluster.Snapshot) Result {
	st := lossState{res: Result{ZonesKnown: true}, zoneOf: map[string]string{}, zones: map[string]*Domain{}, nodes: map[string]*Domain{}}
	for _, n := range s.Nodes {
		z := cluster.NodeZone(n)
		st.zoneOf[n.Name] = z
		if z != "" && st.zones[z] == nil {
			st.zones[z] = &Domain{Name: z}
		}
	}
	res := &st.res
	recreate := recreateBehindService(s)
	workloads := cluster.Workloads(s)
	res.Workloads = make([]Workload, 0, len(workloads)) // grown one by one, it was most of the garbage
	for _, w := range workloads {
		if w.Kind == cluster.KindDaemonSet {
			continue
		}
		ref := Ref{w.Kind, w.Meta.Namespace, w.Meta.Name}
		if w.Autoscaler != nil && w.Autoscaler.Min <= 1 {
			res.AutoscaledToOne = append(res.AutoscaledToOne, Autoscaled{ref, *w.Autoscaler})
		}
		if recreate[w.Meta.UID] {
			res.RecreateBehindService = append(res.RecreateBehindService, ref)
		}
		if secs, why := replacementDelay(w); secs > DefaultUnreachableSeconds {
			res.SlowReplacement = append(res.SlowReplacement, Delayed{ref, secs, why})
		}
		st.lose(w.Kind, w.Meta.Namespace, w.Meta.Name, w.Replicas, w.Pods)
	}
	for _, p := range s.Pods {
		if cluster.ControllerOf(p.OwnerReferences) == nil {
			st.lose(cluster.KindPod, p.Namespace, p.Name, 1, []*cluster.Pod{p})
		}
	}
	slices.SortFunc(res.Workloads, func(a, b Workload) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	for _, n := range st.nodes {
		res.Nodes = append(res.Nodes, *n)
	}
	slices.SortFunc(res.Nodes, func(a, b Domain) int { return cmp.Or(cmp.Compare(b.Lost, a.Lost), cmp.Compare(a.Name, b.Name)) })
	for _, z := range st.zones {
		res.Zones = append(res.Zones, *z)
	}
	slices.SortFunc(res.Zones, func(a, b Domain) int { return cmp.Compare(a.Name, b.Name) })
	return st.res
}

// lossState is an analysis under way: each node's zone, and the nodes and
// zones whose loss takes a workload down entirely.
type lossState struct {
	res          Result
	zoneOf       map[string]string
	zones, nodes map[string]*Domain
}

// lose counts what losing the node, then the zone, holding most of the
// workload's ready replicas leaves it.
func (st *lossState) lose(kind, ns, name string, desired int32, pods []*cluster.Pod) {
	byNode, byZone := make(map[string]int, len(pods)), map[string]int{}
	w := Workload{Kind: kind, Namespace: ns, Name: name, Desired: desired, ZoneKnown: true}
	for _, p := range pods {
		if !cluster.PodReady(p) || p.NodeName == "" {
			continue
		}
		w.Ready++
		byNode[p.NodeName]++
		if z := st.zoneOf[p.NodeName]; z != "" {
			byZone[z]++
		} else {
			w.ZoneKnown = false
		}
	}
	if w.Ready == 0 {
		return // nothing ready: nothing a loss could take
	}
	w.WorstNode, w.AfterNodeLoss = worst(byNode, w.Ready)
	if w.AfterNodeLoss == 0 {
		if st.nodes[w.WorstNode] == nil {
			st.nodes[w.WorstNode] = &Domain{Name: w.WorstNode}
		}
		st.nodes[w.WorstNode].Lost++
	}
	if w.ZoneKnown {
		w.WorstZone, w.AfterZoneLoss = worst(byZone, w.Ready)
		if w.AfterZoneLoss == 0 {
			st.zones[w.WorstZone].Lost++
		}
	} else {
		st.res.ZonesKnown = false
	}
	st.res.Workloads = append(st.res.Workloads, w)
}

// recreateBehindService finds the Deployments with the Recreate strategy
// whose pods a Service selects for traffic, by UID. Recreate is right,
// and not reported, where the pods hold a volume only one of them may
// write (a rolling update's new pod would wait for the old one's
// volume), and a Service whose every port is a metrics port carries no
// user's traffic.
func recreateBehindService(s *cluster.Snapshot) map[types.UID]bool {
	var recreate []*cluster.Deployment
	for _, d := range s.Deployments {
		if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType && !singleWriter(s, d) {
			recreate = append(recreate, d)
		}
	}
	out := map[types.UID]bool{}
	if len(recreate) == 0 {
		return out
	}
	for _, svc := range s.Services {
		if len(svc.Spec.Selector) == 0 || metricsOnly(svc) {
			continue
		}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, d := range recreate {
			if d.Namespace == svc.Namespace && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				out[d.UID] = true
			}
		}
	}
	return out
}

// singleWriter: the Deployment's pods mount a claim that two pods cannot
// both hold: ReadWriteOnce or ReadWriteOncePod, or a claim the input does
// not hold (most are ReadWriteOnce; only a shared one makes Recreate
// avoidable).
func singleWriter(s *cluster.Snapshot, d *cluster.Deployment) bool {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Ephemeral != nil {
			continue // one per pod
		}
		if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ReadOnly {
			continue
		}
		shared := false
		for _, c := range s.PersistentVolumeClaims {
			if c.Namespace == d.Namespace && c.Name == v.PersistentVolumeClaim.ClaimName {
				shared = len(c.Spec.AccessModes) > 0 && !slices.Contains(c.Spec.AccessModes, corev1.ReadWriteOnce) &&
					!slices.Contains(c.Spec.AccessModes, corev1.ReadWriteOncePod)
			}
		}
		if !shared {
			return true
		}
	}
	return false
}

// metricsOnly: every port of the Service is named for metrics (metrics,
// http-metrics, prometheus, monitoring...): Prometheus scrapes it, no
// user waits on it.
func metricsOnly(svc *corev1.Service) bool {
	if len(svc.Spec.Ports) == 0 {
		return false
	}
	for _, p := range svc.Spec.Ports {
		n := strings.ToLower(p.Name)
		if !strings.Contains(n, "metrics") && !strings.Contains(n, "prometheus") && !strings.Contains(n, "monitoring") {
			return false
		}
	}
	return true
}

// worst returns the domain holding the most ready replicas (the first by
// name on a tie) and the ready replicas left without it.
func worst(by map[string]int, ready int) (string, int) {
	name, most := "", 0
	for d, n := range by {
		if n > most || (n == most && d < name) {
			name, most = d, n
		}
	}
	return name, ready - most
}
