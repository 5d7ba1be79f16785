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
