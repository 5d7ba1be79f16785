//go:build !agentonly

package collector

import (
	"context"
	"maps"
	"slices"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
)

func newLoss(d Deps) (Collector, error) {
	return &lossCollector{
		a:        sharedAnalysis(d, "loss", d.Cluster, loss.Analyze, lossReads...),
		capacity: sharedAnalysis(d, "capacity", d.Cluster, capacity.Analyze, lossReads...),
	}, nil
}

type lossCollector struct {
	a        *analysis[loss.Result]
	capacity *analysis[capacity.Result]
}

// Version is the cluster snapshot generation.
func (c *lossCollector) Version() uint64 { return c.a.version() }

func (c *lossCollector) Update(ctx context.Context, e *Emitter) error {
	res, err := c.a.get()
	if err != nil {
		return err
	}
	for i, w := range res.Workloads {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if w.SingleReplica() {
			e.Gauge("kube_reliability_workload_single_replica", 1, w.Namespace, w.Kind, w.Name)
		} else if w.ZoneKnown {
			e.Gauge("kube_reliability_workload_ready_after_zone_loss", float64(w.AfterZoneLoss), w.Namespace, w.Kind, w.Name)
		}
	}
	for _, r := range res.AutoscaledToOne {
		e.Gauge("kube_reliability_workload_autoscaled_to_one", 1, r.Namespace, r.Kind, r.Name)
	}
	for _, r := range res.SlowReplacement {
		e.Gauge("kube_reliability_workload_node_loss_replacement_delay_seconds", r.Seconds, r.Namespace, r.Kind, r.Name)
	}
	for _, r := range res.RecreateBehindService {
		e.Gauge("kube_reliability_workload_recreate_behind_service", 1, r.Namespace, r.Kind, r.Name)
	}
	for i, n := range res.Nodes {
		if i == maxLossNodes {
			break
		}
		e.Gauge("kube_reliability_node_loss_workloads_lost", float64(n.Lost), n.Name)
	}
	e.Bool("kube_reliability_cluster_survives_node_loss", res.SurvivesNodeLoss())
	if res.ZonesKnown {
		for _, z := range res.Zones {
			e.Gauge("kube_reliability_zone_loss_workloads_lost", float64(z.Lost), z.Name)
		}
		e.Bool("kube_reliability_cluster_survives_zone_loss", res.SurvivesZoneLoss())
	}
	room, err := c.capacity.get()
	if err != nil {
		return err
	}
	for i, n := range room.Nodes {
		if i == maxLossNodes {
			break
		}
		e.Gauge("kube_reliability_node_loss_pods_unschedulable", float64(n.Unschedulable), n.Name)
		byReason(e, "kube_reliability_node_loss_pods_unschedulable_by_reason", n.Reasons, n.Name)
		byReason(e, "kube_reliability_node_loss_pods_unknown", n.UnknownReasons, n.Name)
	}
	for _, z := range room.Zones {
		e.Gauge("kube_reliability_zone_loss_pods_displaced", float64(z.Pods), z.Name)
		e.Gauge("kube_reliability_zone_loss_pods_unschedulable", float64(z.Unschedulable), z.Name)
		byReason(e, "kube_reliability_zone_loss_pods_unschedulable_by_reason", z.Reasons, z.Name)
		byReason(e, "kube_reliability_zone_loss_pods_unknown", z.UnknownReasons, z.Name)
	}
	for i, n := range room.Drains {
		if i == maxLossNodes {
			break
		}
		if n.Unschedulable > 0 {
			e.Gauge("kube_reliability_node_drain_pods_unschedulable", float64(n.Unschedulable), n.Name)
			byReason(e, "kube_reliability_node_drain_pods_unschedulable_by_reason", n.Reasons, n.Name)
		}
		byReason(e, "kube_reliability_node_drain_pods_unknown", n.UnknownReasons, n.Name)
		if n.Hangs {
			e.Gauge("kube_reliability_node_drain_stalls", 1, n.Name)
		}
	}
	if absorbs, known := room.AbsorbsNodeLoss(); known {
		e.Bool("kube_reliability_cluster_absorbs_node_loss", absorbs)
	}
	if absorbs, known := room.AbsorbsZoneLoss(); known && len(room.Zones) > 0 {
		e.Bool("kube_reliability_cluster_absorbs_zone_loss", absorbs)
	}
	e.Gauge("kube_reliability_capacity_pods_unknown_requests", float64(room.UnknownRequests))
	return nil
}

// byReason emits one series per reason, in a stable order.
func byReason(e *Emitter, name string, counts map[string]int, domain string) {
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		e.Gauge(name, float64(counts[r]), domain, r)
	}
}

// maxLossNodes bounds the node-loss series: the nodes whose loss takes the
// most workloads down, not one series per node of 5,000.
const maxLossNodes = 10

// Services tell which Recreate Deployments serve traffic.
var lossReads = reads("services")

// capacityReads: claims and volumes say where a pod that mounts one may
// go; without them (forbidden) those pods are unknown, the rest still
// simulated, so the analysis does not require them.
var capacityReads = append(reads("persistentvolumeclaims", "persistentvolumes"), "services")

var lossSpec = Spec{
	Name: "loss", Modes: Central | Demo, DefaultEnabled: true, Reads: capacityReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_workload_ready_after_zone_loss", Type: Gauge, Stability: Experimental,
			Help: "Ready replicas the workload keeps if the zone holding most of them is lost (0: one zone takes it down). The node counterpart is kube_reliability_workload_replicas_ready minus kube_reliability_workload_node_max_ready_replicas. Absent while a ready replica runs on a node without a zone label.", Labels: workloadLabels, Bound: "one series per workload of 2 or more replicas with a ready one"},
		{Name: "kube_reliability_workload_single_replica", Type: Gauge, Stability: Experimental,
			Help: "1 for a workload that asks for a single replica, and for a bare pod, that is ready: any loss of its node, and every rollout or eviction, takes it down.", Labels: workloadLabels, Bound: "one series per single-replica workload or bare pod"},
		{Name: "kube_reliability_workload_autoscaled_to_one", Type: Gauge, Stability: Experimental,
			Help: "1 for a workload whose HorizontalPodAutoscaler has minReplicas 1, or whose KEDA ScaledObject has minReplicaCount 1 or 0: it may scale down to a single replica (or none while idle), and then a node loss, rollout or eviction takes it down.", Labels: workloadLabels, Bound: "one series per such workload"},
		{Name: "kube_reliability_workload_recreate_behind_service", Type: Gauge, Stability: Experimental,
			Help: "1 for a Deployment with the Recreate strategy whose pods a Service selects: every rollout stops all its pods before starting new ones, an outage each time.", Labels: workloadLabels, Bound: "one series per such Deployment"},
		{Name: "kube_reliability_workload_node_loss_replacement_delay_seconds", Type: Gauge, Stability: Experimental,
			Help: "Seconds after a node stops answering (once the node lifecycle controller taints it unreachable, node-monitor-grace-period after its last heartbeat: 50 s by default) before the workload's pods on it are evicted and replaced, for workloads later than the default 300 s: the smallest tolerationSeconds of its tolerations of node.kubernetes.io/unreachable:NoExecute; +Inf when a toleration matches without tolerationSeconds (never evicted), and for StatefulSets (a pod of the same name is created only once the old one is gone: the Node deleted or the pod force-deleted). Those replicas stay unavailable that long.", Labels: workloadLabels, Bound: "one series per such workload"},
		{Name: "kube_reliability_node_loss_workloads_lost", Type: Gauge, Stability: Experimental,
			Help: "Workloads (bare pods included) that would lose every ready replica if this node were lost, for the nodes whose loss takes the most down.", Labels: []string{"node"}, Bound: "10 series at most"},
		{Name: "kube_reliability_zone_loss_workloads_lost", Type: Gauge, Stability: Experimental,
			Help: "Workloads (bare pods included) that would lose every ready replica if this zone were lost. Absent while a ready replica runs on a node without a zone label.", Labels: []string{"zone"}, Bound: "one series per zone"},
		{Name: "kube_reliability_cluster_survives_node_loss", Type: Gauge, Stability: Experimental,
			Help: "1 if the loss of any one node leaves every workload (bare pods included) with a ready replica, else 0.", Bound: "one series"},
		{Name: "kube_reliability_cluster_survives_zone_loss", Type: Gauge, Stability: Experimental,
			Help: "1 if the loss of any one zone leaves every workload (bare pods included) with a ready replica, else 0. Absent while a ready replica runs on a node without a zone label.", Bound: "one series"},
		{Name: "kube_reliability_node_loss_pods_unschedulable", Type: Gauge, Stability: Experimental,
			Help: "Pods that controllers would re-create if this node were lost and that the scheduler could place on no remaining node (its filters: cordon, taints, node selector and affinity, host ports, requests of every resource against allocatable, pod count, topology spread with DoNotSchedule, required pod affinity and anti-affinity; priority with preemption), for the nodes that strand the most. Pods whose fate cannot be known are not counted here.", Labels: []string{"node"}, Bound: "10 series at most"},
		{Name: "kube_reliability_zone_loss_pods_displaced", Type: Gauge, Stability: Experimental,
			Help: "Pods that controllers would re-create elsewhere if this zone were lost (DaemonSet and bare pods left out).", Labels: []string{"zone"}, Bound: "one series per zone"},
		{Name: "kube_reliability_zone_loss_pods_unschedulable", Type: Gauge, Stability: Experimental,
			Help: "Pods that controllers would re-create if this zone were lost and that the nodes of the other zones could not hold: the zone's loss cannot be absorbed.", Labels: []string{"zone"}, Bound: "one series per zone"},
		{Name: "kube_reliability_cluster_absorbs_node_loss", Type: Gauge, Stability: Experimental,
			Help: "1 if the remaining nodes could hold the re-created pods of any one lost node, else 0. Absent when no node strands a pod but some leave pods undecided (kube_reliability_node_loss_pods_unknown).", Bound: "one series"},
		{Name: "kube_reliability_cluster_absorbs_zone_loss", Type: Gauge, Stability: Experimental,
			Help: "1 if the other zones could hold the re-created pods of any one lost zone, else 0. Absent without zone labels, and when no zone strands a pod but some leave pods undecided (kube_reliability_zone_loss_pods_unknown).", Bound: "one series"},
		{Name: "kube_reliability_node_loss_pods_unschedulable_by_reason", Type: Gauge, Stability: Experimental,
			Help: "kube_reliability_node_loss_pods_unschedulable by the scheduler filter that rejects the most nodes for each pod: insufficient_<resource> (cpu, memory, ephemeral_storage, extended resources such as nvidia_com_gpu), pod_count, host_port, topology_spread, pod_affinity, pod_anti_affinity, node_selector_or_affinity, taint, node_unschedulable, volume_zone (their PersistentVolumes cannot be reached from the nodes left), no_nodes; and scheduling_order, preemption_victim or node_choice for pods certain to find no place in any order tried while which workload's they are is undecided.", Labels: []string{"node", "reason"}, Bound: "10 nodes at most, one series per reason found"},
		{Name: "kube_reliability_node_loss_pods_unknown", Type: Gauge, Stability: Experimental,
			Help: "Pods that controllers would re-create if this node were lost whose fate the simulation cannot know, by reason: volume_topology (they mount a PersistentVolumeClaim that is unbound, or whose claim or volume the exporter cannot read), other_scheduler (spec.schedulerName is not the default scheduler), scheduling_order (whether they find room depends on the order in which the scheduler meets them and the other re-created pods), preemption_victim (a preemption may evict them or other pods of their priority: the scheduler decides by start times), node_choice (whether they find room depends on which of several fitting nodes the scheduler's scores give the pods placed before them). Counted in neither placed nor unschedulable.", Labels: []string{"node", "reason"}, Bound: "10 nodes at most, 5 reasons"},
		{Name: "kube_reliability_zone_loss_pods_unschedulable_by_reason", Type: Gauge, Stability: Experimental,
			Help: "kube_reliability_zone_loss_pods_unschedulable by the scheduler filter that rejects the most nodes for each pod (reasons as for kube_reliability_node_loss_pods_unschedulable_by_reason).", Labels: []string{"zone", "reason"}, Bound: "one series per zone and reason found"},
		{Name: "kube_reliability_zone_loss_pods_unknown", Type: Gauge, Stability: Experimental,
			Help: "Pods that controllers would re-create if this zone were lost whose fate the simulation cannot know, by reason (as for kube_reliability_node_loss_pods_unknown).", Labels: []string{"zone", "reason"}, Bound: "one series per zone and reason found"},
		{Name: "kube_reliability_node_drain_pods_unschedulable", Type: Gauge, Stability: Experimental,
			Help: "Pods that draining the node (cordon, evict every pod but DaemonSets') would leave Pending: their controllers re-create them and the scheduler finds no other node for them. A drain that evicts a pod under a PodDisruptionBudget whose replacement stays Pending also hangs once the budget is spent. For the nodes that strand the most.", Labels: []string{"node"}, Bound: "10 series at most"},
		{Name: "kube_reliability_node_drain_pods_unschedulable_by_reason", Type: Gauge, Stability: Experimental,
			Help: "kube_reliability_node_drain_pods_unschedulable by reason (as for kube_reliability_node_loss_pods_unschedulable_by_reason).", Labels: []string{"node", "reason"}, Bound: "10 nodes at most, one series per reason found"},
		{Name: "kube_reliability_node_drain_pods_unknown", Type: Gauge, Stability: Experimental,
			Help: "Pods that draining the node would evict whose fate the simulation cannot know, by reason: those of kube_reliability_node_loss_pods_unknown, and drain_order (whether they find room depends on which pods are still on the draining node when they are scheduled: they count for spread and pod affinity).", Labels: []string{"node", "reason"}, Bound: "10 nodes at most, 6 reasons"},
		{Name: "kube_reliability_node_drain_stalls", Type: Gauge, Stability: Experimental,
			Help: "1 if draining the node would hang partway: its evictions spend a PodDisruptionBudget's allowed disruptions on pods whose replacements find no place, so they never become ready, the budget never comes back, and the eviction of the PDB's next pod is refused for good. For the nodes whose drain strands the most (kube_reliability_node_drain_blocked says whether a drain hangs right away).", Labels: []string{"node"}, Bound: "10 series at most"},
		{Name: "kube_reliability_capacity_pods_unknown_requests", Type: Gauge, Stability: Experimental,
			Help: "Pods on nodes whose requests the capacity simulation cannot know (their controller is no Deployment, StatefulSet, DaemonSet or ReplicaSet: Jobs, operators' resources), counted as requesting nothing: free capacity may be smaller than the simulation assumes.", Bound: "one series"},
	},
	New: newLoss,
}
