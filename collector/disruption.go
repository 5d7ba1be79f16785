//go:build !agentonly

package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
)

var pdbLabels = []string{"namespace", "poddisruptionbudget"}

const perPDB = "one series per PodDisruptionBudget"

var disruptionReads = reads("poddisruptionbudgets")

var disruptionSpec = Spec{
	Name: "disruption", Modes: Central | Demo, DefaultEnabled: true, Reads: disruptionReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_workload_pdb_covered", Type: Gauge, Stability: Experimental,
			Help: "1 if a PodDisruptionBudget that requires some healthy pod selects the workload's pods, else 0 (none, or only PDBs that allow every eviction); a drain may take every replica of an uncovered workload at once.", Labels: workloadLabels,
			Bound: "one series per Deployment, StatefulSet and unowned ReplicaSet with at least 2 desired replicas"},
		{Name: "kube_reliability_workload_pods_with_multiple_pdbs", Type: Gauge, Stability: Experimental,
			Help: "Pods of the workload selected by more than one PodDisruptionBudget; the eviction API refuses to evict them, so drains hang.", Labels: workloadLabels,
			Bound: "one series per workload a PodDisruptionBudget selects"},
		{Name: "kube_reliability_pdb_selected_pods", Type: Gauge, Stability: Experimental,
			Help: "Pods the PodDisruptionBudget's selector matches in its namespace; 0 means it protects nothing.", Labels: pdbLabels, Bound: perPDB},
		{Name: "kube_reliability_pdb_expected_pods", Type: Gauge, Stability: Experimental,
			Help: "Pods the disruption controller expects for the PodDisruptionBudget (its denominator); absent when the controller cannot compute it.", Labels: pdbLabels, Bound: perPDB},
		{Name: "kube_reliability_pdb_desired_healthy_pods", Type: Gauge, Stability: Experimental,
			Help: "Healthy pods the PodDisruptionBudget requires, minAvailable and maxUnavailable resolved and rounded as the disruption controller does; absent when unknown.", Labels: pdbLabels, Bound: perPDB},
		{Name: "kube_reliability_pdb_blocks_drain", Type: Gauge, Stability: Experimental,
			Help: "1 if the PodDisruptionBudget allows zero disruptions even with every expected pod healthy, so every drain of its pods' nodes hangs, else 0; absent when unknown.", Labels: pdbLabels, Bound: perPDB},
		{Name: "kube_reliability_pdb_allows_all_disruptions", Type: Gauge, Stability: Experimental,
			Help: "1 if the PodDisruptionBudget requires no healthy pod (neither minAvailable nor maxUnavailable, minAvailable 0, maxUnavailable 100%), so it allows every eviction and protects nothing, else 0; absent when unknown.", Labels: pdbLabels, Bound: perPDB},
		{Name: "kube_reliability_node_drain_blocked", Type: Gauge, Stability: Experimental,
			Help: "1 if draining the node would hang right now: the eviction of one of its pods (DaemonSets', mirror and finished pods aside) is refused, by a PodDisruptionBudget that allows no disruption at the moment or because the pod is under several; else 0. Absent when a budget over one of its pods cannot be computed.", Labels: []string{"node"}, Bound: "one series per node"},
		{Name: "kube_reliability_node_drain_blocking_pdb", Type: Gauge, Stability: Experimental,
			Help: "1 for each PodDisruptionBudget that refuses the eviction of a pod on the node right now, by reason: no_disruptions_allowed (its healthy pods are at its minimum), unhealthy_pod_guarded (the pod is not ready and the budget is not met; unhealthyPodEvictionPolicy AlwaysAllow would let it go) or multiple_pdbs (the pod is under several, which the eviction API refuses).", Labels: []string{"node", "namespace", "poddisruptionbudget", "reason"}, Bound: "one series per blocking PDB of each node whose drain is blocked"},
		{Name: "kube_reliability_nodes_drain_blocked", Type: Gauge, Stability: Experimental,
			Help: "Nodes whose drain would hang right now (kube_reliability_node_drain_blocked == 1).", Bound: "one series"},
		{Name: "kube_reliability_pdb_blocks_drain_at_autoscaler_min", Type: Gauge, Stability: Experimental,
			Help: "1 for a PodDisruptionBudget whose minAvailable is at least the replicas its workloads keep at their autoscalers' minimum (HorizontalPodAutoscaler minReplicas, KEDA ScaledObject minReplicaCount): every drain of their nodes hangs whenever they scale in. Absent otherwise.", Labels: pdbLabels, Bound: "one series per such PDB"},
		{Name: "kube_reliability_pdb_crashlooping_pods", Type: Gauge, Stability: Experimental,
			Help: "Pods in CrashLoopBackOff that a PodDisruptionBudget with the default unhealthyPodEvictionPolicy (IfHealthyBudget) selects: the eviction API refuses them while the budget is not met, so drains hang on pods that serve nothing; unhealthyPodEvictionPolicy: AlwaysAllow lets them go. Absent for PDBs with AlwaysAllow or no crash-looping pod.", Labels: pdbLabels, Bound: "one series per such PDB"},
		{Name: "kube_reliability_node_loss_pdbs_below_desired", Type: Gauge, Stability: Experimental,
			Help: "PodDisruptionBudgets that hold now and would fall below their desired healthy pods if this node were lost, for the nodes that break the most (the workloads may survive, but not within the budget their owners set).", Labels: []string{"node"}, Bound: "10 series at most"},
		{Name: "kube_reliability_zone_loss_pdbs_below_desired", Type: Gauge, Stability: Experimental,
			Help: "PodDisruptionBudgets that hold now and would fall below their desired healthy pods if this zone were lost.", Labels: []string{"zone"}, Bound: "one series per zone"},
		{Name: "kube_reliability_pdb_invalid", Type: Gauge, Stability: Experimental,
			Help: "1 if the PodDisruptionBudget's selector or minAvailable/maxUnavailable does not parse (it then protects nothing), else 0.", Labels: pdbLabels, Bound: perPDB},
	},
	New: func(d Deps) (Collector, error) {
		return &disruptionCollector{a: sharedAnalysis(d, "disruption", d.Cluster, disruption.Analyze, disruptionReads...)}, nil
	},
}

type disruptionCollector struct {
	a *analysis[disruption.Result]
}

// Version is the cluster snapshot generation: an unchanged cluster is
// served from the last output.
func (c *disruptionCollector) Version() uint64 { return c.a.version() }

func (c *disruptionCollector) Update(ctx context.Context, e *Emitter) error {
	res, err := c.a.get()
	if err != nil {
		return err
	}
	for i, w := range res.Workloads {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if w.Replicas >= 2 {
			e.Bool("kube_reliability_workload_pdb_covered", w.Covered, w.Namespace, w.Kind, w.Name)
		}
		if w.Selected {
			e.Gauge("kube_reliability_workload_pods_with_multiple_pdbs", float64(w.PodsWithMultiplePDBs), w.Namespace, w.Kind, w.Name)
		}
	}
	blocked := 0
	for i, n := range res.Nodes {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if !n.Known {
			continue
		}
		e.Bool("kube_reliability_node_drain_blocked", n.Blocked, n.Name)
		if n.Blocked {
			blocked++
		}
		for _, b := range n.Blocking {
			e.Gauge("kube_reliability_node_drain_blocking_pdb", 1, n.Name, b.Namespace, b.PDB, b.Reason)
		}
	}
	e.Gauge("kube_reliability_nodes_drain_blocked", float64(blocked))
	for i, n := range res.NodeLoss {
		if i == maxLossNodes {
			break
		}
		e.Gauge("kube_reliability_node_loss_pdbs_below_desired", float64(n.PDBs), n.Name)
	}
	for _, z := range res.ZoneLoss {
		e.Gauge("kube_reliability_zone_loss_pdbs_below_desired", float64(z.PDBs), z.Name)
	}
	for _, p := range res.PDBs {
		e.Bool("kube_reliability_pdb_invalid", p.Invalid != "", p.Namespace, p.Name)
		if p.Invalid != "" {
			continue
		}
		e.Gauge("kube_reliability_pdb_selected_pods", float64(p.SelectedPods), p.Namespace, p.Name)
		if p.BlocksDrainAtAutoscalerMin {
			e.Gauge("kube_reliability_pdb_blocks_drain_at_autoscaler_min", 1, p.Namespace, p.Name)
		}
		if p.GuardsCrashLooping() {
			e.Gauge("kube_reliability_pdb_crashlooping_pods", float64(p.CrashLoopingPods), p.Namespace, p.Name)
		}
		if p.ExpectedKnown {
			e.Gauge("kube_reliability_pdb_expected_pods", float64(p.ExpectedPods), p.Namespace, p.Name)
			e.Gauge("kube_reliability_pdb_desired_healthy_pods", float64(p.DesiredHealthy), p.Namespace, p.Name)
			e.Bool("kube_reliability_pdb_blocks_drain", p.BlocksDrain, p.Namespace, p.Name)
			e.Bool("kube_reliability_pdb_allows_all_disruptions", p.AllowsAll, p.Namespace, p.Name)
		}
	}
	return nil
}
