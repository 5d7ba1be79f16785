//go:build !agentonly

package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
)

var workloadLabels = []string{"namespace", "owner_kind", "owner_name"}

const perWorkload = "one series per Deployment, StatefulSet and unowned ReplicaSet"

var placementReads = reads()

var placementSpec = Spec{
	Name: "placement", Modes: Central | Demo, DefaultEnabled: true, Reads: placementReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_workload_replicas_ready", Type: Gauge, Stability: Experimental,
			Help: "Replicas of the workload that are running, Ready and not terminating.", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_node_max_ready_replicas", Type: Gauge, Stability: Experimental,
			Help: "Largest number of the workload's ready replicas on a single node: the replicas one node failure takes down.", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_node_skew", Type: Gauge, Stability: Experimental,
			Help: "Ready replicas on the fullest node minus those on the emptiest eligible node (topologySpreadConstraints skew over kubernetes.io/hostname); absent when no node is eligible.", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_zone_skew", Type: Gauge, Stability: Experimental,
			Help: "Ready replicas in the fullest zone minus those in the emptiest eligible zone (topologySpreadConstraints skew over topology.kubernetes.io/zone); absent when no zone is eligible.", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_single_node", Type: Gauge, Stability: Experimental,
			Help: "1 if the workload has at least 2 ready replicas and all of them run on one node, else 0.", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_single_zone", Type: Gauge, Stability: Experimental,
			Help: "1 if the workload has at least 2 ready replicas, all in one zone, while at least 2 zones are eligible for it, else 0.", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_spread_policy", Type: Gauge, Stability: Experimental,
			Help:   "1 for each way the pod template spreads its own replicas (required_anti_affinity, preferred_anti_affinity, topology_spread); policy=\"none\" when it uses none. Only the policies in use have a series.",
			Labels: append(workloadLabels[:3:3], "policy"), Bound: "one series per workload and policy in use (mostly one)"},
		{Name: "kube_reliability_zone_nodes", Type: Gauge, Stability: Experimental,
			Help: "Nodes labelled with the zone (topology.kubernetes.io/zone).", Labels: []string{"zone"}, Bound: "one series per zone"},
		{Name: "kube_reliability_zone_schedulable_nodes", Type: Gauge, Stability: Experimental,
			Help: "Nodes in the zone that are not cordoned.", Labels: []string{"zone"}, Bound: "one series per zone"},
		{Name: "kube_reliability_zones", Type: Gauge, Stability: Experimental,
			Help: "Distinct zones among the cluster's nodes.", Bound: "one series"},
		{Name: "kube_reliability_nodes_without_zone", Type: Gauge, Stability: Experimental,
			Help: "Nodes with no zone label; their replicas count for node placement but not for zone placement.", Bound: "one series"},
	},
	New: func(d Deps) (Collector, error) {
		return &placementCollector{a: sharedAnalysis(d, "placement", d.Cluster, placement.Analyze, placementReads...)}, nil
	},
}

// placementCollector emits the placement verdicts, or with detail the raw
// counts behind them (placement_detail).
type placementCollector struct {
	a      *analysis[placement.Result]
	detail bool
}

// Version is the cluster snapshot generation: an unchanged cluster is
// served from the last output.
func (c *placementCollector) Version() uint64 { return c.a.version() }

func (c *placementCollector) Update(ctx context.Context, e *Emitter) error {
	res, err := c.a.get()
	if err != nil {
		return err
	}
	for i, w := range res.Workloads {
		// Large clusters hold tens of thousands of workloads: stop promptly
		// once the scrape has given up.
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := []string{w.Namespace, w.Kind, w.Name}
		if c.detail {
			e.Gauge("kube_reliability_workload_replicas_desired", float64(w.DesiredReplicas), l...)
			e.Gauge("kube_reliability_workload_eligible_nodes", float64(w.EligibleNodes), l...)
			e.Gauge("kube_reliability_workload_eligible_zones", float64(w.EligibleZones), l...)
			continue
		}
		e.Gauge("kube_reliability_workload_replicas_ready", float64(w.ReadyReplicas), l...)
		e.Gauge("kube_reliability_workload_node_max_ready_replicas", float64(w.MaxReadyOnNode), l...)
		if w.NodeSkewKnown {
			e.Gauge("kube_reliability_workload_node_skew", float64(w.NodeSkew), l...)
		}
		if w.ZoneSkewKnown {
			e.Gauge("kube_reliability_workload_zone_skew", float64(w.ZoneSkew), l...)
		}
		e.Bool("kube_reliability_workload_single_node", w.SingleNode, l...)
		e.Bool("kube_reliability_workload_single_zone", w.SingleZone, l...)
		// A set of flags, not an enum: only those in use cost a series.
		for _, p := range placement.PolicyNames {
			if w.Policies.Has(p) {
				e.Gauge("kube_reliability_workload_spread_policy", 1, w.Namespace, w.Kind, w.Name, p)
			}
		}
	}
	if c.detail {
		return nil
	}
	for _, z := range res.Zones {
		e.Gauge("kube_reliability_zone_nodes", float64(z.Nodes), z.Name)
		e.Gauge("kube_reliability_zone_schedulable_nodes", float64(z.SchedulableNodes), z.Name)
	}
	e.Gauge("kube_reliability_zones", float64(len(res.Zones)))
	e.Gauge("kube_reliability_nodes_without_zone", float64(res.NodesWithoutZone))
	return nil
}

// placementDetailSpec holds the raw counts behind the placement verdicts:
// dashboards may want them, but kube-state-metrics exports desired
// replicas already, and three series per workload are 45,000 at 15,000
// workloads. Off by default (RELIABILITY_COLLECTORS_ENABLED=placement_detail).
var placementDetailSpec = Spec{
	Name: "placement_detail", Modes: Central | Demo, DefaultEnabled: false, Reads: placementReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_workload_replicas_desired", Type: Gauge, Stability: Experimental,
			Help: "Replicas the workload asks for (spec.replicas).", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_eligible_nodes", Type: Gauge, Stability: Experimental,
			Help: "Schedulable nodes the workload's nodeSelector and required node affinity allow.", Labels: workloadLabels, Bound: perWorkload},
		{Name: "kube_reliability_workload_eligible_zones", Type: Gauge, Stability: Experimental,
			Help: "Zones holding at least one eligible node for the workload.", Labels: workloadLabels, Bound: perWorkload},
	},
	New: func(d Deps) (Collector, error) {
		return &placementCollector{a: sharedAnalysis(d, "placement", d.Cluster, placement.Analyze, placementReads...), detail: true}, nil
	},
}
