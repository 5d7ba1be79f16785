//go:build !agentonly

package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// ownersSpec names each namespace's owner, from the first of the
// configured namespace labels it carries: the alerts join it, so
// Alertmanager routes a team's alerts to the team.
var ownersSpec = Spec{
	Name: "owners", Modes: Central | Demo, DefaultEnabled: true, Reads: []string{"namespaces"},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_namespace_owner_info", Type: Gauge, Stability: Experimental,
			Help: "The namespace's owner: the value of the first label of RELIABILITY_OWNER_LABELS the namespace carries (owner_label names it; both empty when it carries none). Every namespace has one series, so the alerts' join on it never drops an alert.", Labels: []string{"namespace", "owner", "owner_label"}, Bound: "one series per namespace"},
	},
	New: func(d Deps) (Collector, error) {
		labels := d.OwnerLabels
		return &ownersCollector{a: sharedAnalysis(d, "owners", d.Cluster, func(s *cluster.Snapshot) []namespaceOwner {
			return owners(s, labels)
		}, "namespaces")}, nil
	},
}

type namespaceOwner struct{ namespace, owner, label string }

// owners picks each namespace's owner: the first of labels it carries
// with a value.
func owners(s *cluster.Snapshot, labels []string) []namespaceOwner {
	out := make([]namespaceOwner, 0, len(s.Namespaces))
	for _, n := range s.Namespaces {
		o := namespaceOwner{namespace: n.Name}
		for _, l := range labels {
			if v := n.Labels[l]; v != "" {
				o.owner, o.label = v, l
				break
			}
		}
		out = append(out, o)
	}
	return out
}

type ownersCollector struct {
	a *analysis[[]namespaceOwner]
}

func (c *ownersCollector) Version() uint64 { return c.a.version() }

func (c *ownersCollector) Update(_ context.Context, e *Emitter) error {
	res, err := c.a.get()
	if err != nil {
		return err
	}
	for _, o := range res {
		e.Gauge("kube_reliability_namespace_owner_info", 1, o.namespace, o.owner, o.label)
	}
	return nil
}
