//go:build !agentonly

package collector

import (
	"fmt"
	"slices"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/hypotheses/builtin"
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
		{"no-single-node-workload", "No workload of two or more replicas has all its ready replicas on one node.", over(pl, builtin.NoSingleNodeWorkload)},
		{"survives-node-loss", "The loss of any one node leaves every workload (bare pods included) with a ready replica.", over(lo, builtin.SurvivesNodeLoss)},
		{"survives-zone-loss", "The loss of any one zone leaves every workload (bare pods included) with a ready replica.", over(lo, builtin.SurvivesZoneLoss)},
		{"no-node-drain-blocked", "No node drain would hang right now on a PodDisruptionBudget.", over(di, builtin.NoNodeDrainBlocked)},
		{"zone-loss-absorbable", "The nodes of the other zones could hold the pods controllers would re-create if any one zone were lost.", over(ca, builtin.ZoneLossAbsorbable)},
	}
	if d.Health != nil {
		h.list = append(h.list, hypothesis{"no-health-check-cycle", "No workload's health checks depend, through other workloads' checks, on itself.", over(healthAnalysis(d), builtin.NoHealthCheckCycle)})
	}
	if d.Certs != nil {
		h.list = append(h.list, hypothesis{"no-certificate-expiring", fmt.Sprintf("No TLS endpoint the exporter probes (Ingress and Gateway hosts, admission webhooks, aggregated APIs, the API server, etcd members) serves a certificate that expires within %d days (or has expired).", certificateHorizonDays), certificatesExpiring(d)})
	}
	if d.Etcd != nil && d.EtcdJudgement.Issues != nil {
		h.list = append(h.list, hypothesis{"etcd-healthy", "Every configured etcd member is up, all run one version, and no known issue affects it.", etcdHealthy(d)})
	}
	return h
}

// over answers a built-in hypothesis from an analysis's cached result.
func over[R any](a *analysis[R], judge func(R) ([]string, error)) func() ([]string, error) {
	return func() ([]string, error) {
		r, err := a.get()
		if err != nil {
			return nil, err
		}
		return judge(r)
	}
}

// certificatesExpiring answers no-certificate-expiring from the TLS
// probes and the etcd poller: one model for every certificate the
// cluster depends on.
func certificatesExpiring(d Deps) func() ([]string, error) {
	return func() ([]string, error) {
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
	}
}

// etcdHealthy answers etcd-healthy from the etcd poller: every member up,
// one version, no known issue.
func etcdHealthy(d Deps) func() ([]string, error) {
	return func() ([]string, error) {
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
		if v, ok := d.EtcdJudgement.Members(st); ok {
			if v.Drift > 0 {
				out = append(out, fmt.Sprintf("%d versions run", v.Drift+1))
			}
			for _, id := range v.KnownIssues {
				out = append(out, "known issue "+id)
			}
		}
		return out, nil
	}
}
