package builtin

import (
	"fmt"
	"strings"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/hypotheses"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
)

// The built-in hypotheses over the analyses' results: each returns what
// breaks it (it holds when nothing does), or an error wrapping hypotheses.ErrUnknown
// when the result cannot tell.

// NoSingleNodeWorkload: no workload of two or more replicas has all its
// ready replicas on one node.
func NoSingleNodeWorkload(r placement.Result) ([]string, error) {
	var out []string
	for _, w := range r.Workloads {
		if w.SingleNode {
			out = append(out, w.Kind+" "+w.Namespace+"/"+w.Name)
		}
	}
	return out, nil
}

// SurvivesNodeLoss: the loss of any one node leaves every workload with
// a ready replica.
func SurvivesNodeLoss(r loss.Result) ([]string, error) {
	var out []string
	for _, n := range r.Nodes {
		out = append(out, fmt.Sprintf("node %s: %d workloads lost", n.Name, n.Lost))
	}
	return out, nil
}

// SurvivesZoneLoss: the loss of any one zone leaves every workload with a
// ready replica; unknown while a ready replica runs on a zoneless node.
func SurvivesZoneLoss(r loss.Result) ([]string, error) {
	if !r.ZonesKnown {
		return nil, fmt.Errorf("%w: a ready replica runs on a node without a zone label", hypotheses.ErrUnknown)
	}
	var out []string
	for _, z := range r.Zones {
		if z.Lost > 0 {
			out = append(out, fmt.Sprintf("zone %s: %d workloads lost", z.Name, z.Lost))
		}
	}
	return out, nil
}

// NoNodeDrainBlocked: no node drain would hang right now on a
// PodDisruptionBudget; unknown while none is known to and some budget
// cannot be computed.
func NoNodeDrainBlocked(r disruption.Result) ([]string, error) {
	var out []string
	unknown := 0
	for _, n := range r.Nodes {
		switch {
		case !n.Known:
			unknown++
		case n.Blocked:
			out = append(out, "node "+n.Name)
		}
	}
	if len(out) == 0 && unknown > 0 {
		return nil, fmt.Errorf("%w: %d nodes hold pods under a PodDisruptionBudget whose budget cannot be computed", hypotheses.ErrUnknown, unknown)
	}
	return out, nil
}

// ZoneLossAbsorbable: the other zones' nodes could hold the pods
// controllers would re-create if any one zone were lost; unknown while no
// zone is known to fail and some pods are undecided.
func ZoneLossAbsorbable(r capacity.Result) ([]string, error) {
	if len(r.Zones) == 0 {
		return nil, fmt.Errorf("%w: no node has a zone label", hypotheses.ErrUnknown)
	}
	var out, undecided []string
	for _, z := range r.Zones {
		if z.Unschedulable > 0 {
			out = append(out, fmt.Sprintf("zone %s: %d of %d pods unschedulable (%s)", z.Name, z.Unschedulable, z.Pods, strandedList(z.Stranded)))
		}
		if z.Unknown > 0 {
			undecided = append(undecided, fmt.Sprintf("zone %s: %d of %d pods undecided (%s)", z.Name, z.Unknown, z.Pods, strandedList(z.Undecided)))
		}
	}
	if len(out) == 0 && len(undecided) > 0 {
		return nil, fmt.Errorf("%w: %s", hypotheses.ErrUnknown, strings.Join(undecided, "; "))
	}
	return out, nil
}

// NoHealthCheckCycle: no workload's health checks depend, through other
// workloads' checks, on itself; unknown while none is known and some
// endpoint has not been read.
func NoHealthCheckCycle(r healthcheck.Result) ([]string, error) {
	var out []string
	for _, w := range r.Workloads {
		if w.InCycle {
			out = append(out, w.Key.Kind+" "+w.Key.Namespace+"/"+w.Key.Name)
		}
	}
	if len(out) == 0 && r.EndpointsKnown < r.EndpointsExpected {
		return nil, fmt.Errorf("%w: %d of %d health endpoints not read yet", hypotheses.ErrUnknown, r.EndpointsExpected-r.EndpointsKnown, r.EndpointsExpected)
	}
	return out, nil
}

// strandedList names each workload with its pods and reason:
// "shop/Deployment/cart 2 topology_spread".
func strandedList(ss []capacity.Stranded) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%s %d %s", s.Workload, s.Pods, s.Reason)
	}
	return strings.Join(parts, ", ")
}
