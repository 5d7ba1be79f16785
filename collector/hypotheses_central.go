//go:build !agentonly

package collector

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
)

func newHypotheses(d Deps) *Hypotheses {
	pl := sharedAnalysis(d, "placement", d.Cluster, placement.Analyze, placementReads...)
	lo := sharedAnalysis(d, "loss", d.Cluster, loss.Analyze, lossReads...)
	di := sharedAnalysis(d, "disruption", d.Cluster, disruption.Analyze, disruptionReads...)
	ca := sharedAnalysis(d, "capacity", d.Cluster, capacity.Analyze, lossReads...)
	h := &Hypotheses{now: d.now}
	h.list = []hypothesis{
		{"no-single-node-workload", "No workload of two or more replicas has all its ready replicas on one node.", func() ([]string, error) {
			r, err := pl.get()
			if err != nil {
				return nil, err
			}
			var out []string
			for _, w := range r.Workloads {
				if w.SingleNode {
					out = append(out, w.Kind+" "+w.Namespace+"/"+w.Name)
				}
			}
			return out, nil
		}},
		{"survives-node-loss", "The loss of any one node leaves every workload (bare pods included) with a ready replica.", func() ([]string, error) {
			r, err := lo.get()
			if err != nil {
				return nil, err
			}
			var out []string
			for _, n := range r.Nodes {
				out = append(out, fmt.Sprintf("node %s: %d workloads lost", n.Name, n.Lost))
			}
			return out, nil
		}},
		{"survives-zone-loss", "The loss of any one zone leaves every workload (bare pods included) with a ready replica.", func() ([]string, error) {
			r, err := lo.get()
			if err != nil {
				return nil, err
			}
			if !r.ZonesKnown {
				return nil, fmt.Errorf("%w: a ready replica runs on a node without a zone label", errUnknown)
			}
			var out []string
			for _, z := range r.Zones {
				if z.Lost > 0 {
					out = append(out, fmt.Sprintf("zone %s: %d workloads lost", z.Name, z.Lost))
				}
			}
			return out, nil
		}},
		{"no-node-drain-blocked", "No node drain would hang right now on a PodDisruptionBudget.", func() ([]string, error) {
			r, err := di.get()
			if err != nil {
				return nil, err
			}
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
				return nil, fmt.Errorf("%w: %d nodes hold pods under a PodDisruptionBudget whose budget cannot be computed", errUnknown, unknown)
			}
			return out, nil
		}},
	}
	h.list = append(h.list, hypothesis{"zone-loss-absorbable", "The nodes of the other zones could hold the pods controllers would re-create if any one zone were lost.", func() ([]string, error) {
		r, err := ca.get()
		if err != nil {
			return nil, err
		}
		if len(r.Zones) == 0 {
			return nil, fmt.Errorf("%w: no node has a zone label", errUnknown)
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
			return nil, fmt.Errorf("%w: %s", errUnknown, strings.Join(undecided, "; "))
		}
		return out, nil
	}})
	if d.Health != nil {
		he := healthAnalysis(d)
		h.list = append(h.list, hypothesis{"no-health-check-cycle", "No workload's health checks depend, through other workloads' checks, on itself.", func() ([]string, error) {
			r, err := he.get()
			if err != nil {
				return nil, err
			}
			var out []string
			for _, w := range r.Workloads {
				if w.InCycle {
					out = append(out, w.Key.Kind+" "+w.Key.Namespace+"/"+w.Key.Name)
				}
			}
			if len(out) == 0 && r.EndpointsKnown < r.EndpointsExpected {
				return nil, fmt.Errorf("%w: %d of %d health endpoints not read yet", errUnknown, r.EndpointsExpected-r.EndpointsKnown, r.EndpointsExpected)
			}
			return out, nil
		}})
	}
	if d.Certs != nil {
		h.list = append(h.list, hypothesis{"no-certificate-expiring", fmt.Sprintf("No TLS endpoint the exporter probes (Ingress and Gateway hosts, admission webhooks, aggregated APIs, the API server, etcd members) serves a certificate that expires within %d days (or has expired).", certificateHorizonDays), func() ([]string, error) {
			if d.Certs.Rounds() == 0 {
				return nil, fmt.Errorf("%w: the first round of TLS probes has not ended", errUnknown)
			}
			horizon := d.now().Add(certificateHorizonDays * 24 * time.Hour)
			expires := func(t time.Time) string { return "expires " + t.UTC().Format(time.RFC3339) }
			var out []string
			for ep, p := range d.Certs.Results() {
				if p.Reason == "" && p.LeafNotAfter.Before(horizon) {
					obj := ep.Name
					if ep.Namespace != "" {
						obj = ep.Namespace + "/" + ep.Name
					}
					out = append(out, fmt.Sprintf("%s %s %s: %s", ep.Kind, obj, ep.Host, expires(p.LeafNotAfter)))
				}
			}
			// etcd members' served certificates, from the etcd poller: one
			// model for every certificate the cluster depends on.
			if d.Etcd != nil {
				st, ok := d.Etcd.Latest()
				if !ok {
					return nil, fmt.Errorf("%w: etcd members not polled yet", errUnknown)
				}
				for _, m := range st {
					if !m.CertNotAfter.IsZero() && m.CertNotAfter.Before(horizon) {
						out = append(out, fmt.Sprintf("etcd member %s: %s", m.Name, expires(m.CertNotAfter)))
					}
				}
			}
			slices.Sort(out)
			return slices.Compact(out), nil
		}})
	}
	if d.Etcd != nil && d.EtcdJudgement.Issues != nil {
		h.list = append(h.list, hypothesis{"etcd-healthy", "Every configured etcd member is up, all run one version, and no known issue affects it.", func() ([]string, error) {
			st, ok := d.Etcd.Latest()
			if !ok {
				return nil, fmt.Errorf("%w: etcd members not polled yet", errUnknown)
			}
			var out []string
			for _, m := range st {
				if !m.Up {
					out = append(out, "member "+m.Name+" down: "+m.Reason)
				}
			}
			if v, ok := judgeMembers(st, d.EtcdJudgement); ok {
				if v.Drift > 0 {
					out = append(out, fmt.Sprintf("%d versions run", v.Drift+1))
				}
				for _, id := range v.KnownIssues {
					out = append(out, "known issue "+id)
				}
			}
			return out, nil
		}})
	}
	return h
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
