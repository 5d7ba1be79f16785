//go:build !agentonly

package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/resources"
)

var containerLabels = []string{"namespace", "resource", "container_type"}

const perNamespaceResource = "four series per namespace (cpu, memory × app, init) where containers exist"

var resourcesReads = reads("namespaces", "resourcequotas", "limitranges")

var resourcesSpec = Spec{
	Name: "resources", Modes: Central | Demo, DefaultEnabled: true, Reads: resourcesReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_namespace_containers", Type: Gauge, Stability: Experimental,
			Help:   "Containers in the namespace's workload templates and bare pods (once per template, not per replica).",
			Labels: containerLabels, Bound: perNamespaceResource},
		{Name: "kube_reliability_namespace_containers_without_requests", Type: Gauge, Stability: Experimental,
			Help:   "Containers setting neither a request nor a limit for the resource (a limit alone defaults the request); the scheduler places them as if they needed nothing.",
			Labels: containerLabels, Bound: perNamespaceResource},
		{Name: "kube_reliability_namespace_containers_without_limits", Type: Gauge, Stability: Experimental,
			Help:   "Containers without a limit for the resource; one of them can use a node's whole capacity.",
			Labels: containerLabels, Bound: perNamespaceResource},
		{Name: "kube_reliability_namespace_resourcequotas", Type: Gauge, Stability: Experimental,
			Help: "ResourceQuotas in the namespace; 0 means nothing caps what it may consume.", Labels: []string{"namespace"}, Bound: "one series per namespace"},
		{Name: "kube_reliability_namespace_limitranges", Type: Gauge, Stability: Experimental,
			Help: "LimitRanges in the namespace; 0 means containers get no default requests or limits.", Labels: []string{"namespace"}, Bound: "one series per namespace"},
		{Name: "kube_reliability_namespace_default_request", Type: Gauge, Stability: Experimental,
			Help:   "1 if a LimitRange gives the namespace's containers a default request for the resource (so a missing request is harmless), else 0.",
			Labels: []string{"namespace", "resource"}, Bound: "two series per namespace (cpu, memory)"},
		{Name: "kube_reliability_namespace_default_limit", Type: Gauge, Stability: Experimental,
			Help:   "1 if a LimitRange gives the namespace's containers a default limit for the resource, else 0.",
			Labels: []string{"namespace", "resource"}, Bound: "two series per namespace (cpu, memory)"},
		{Name: "kube_reliability_resourcequota_usage_ratio", Type: Gauge, Stability: Experimental,
			Help:   "Used divided by hard for one resource of a ResourceQuota (0–1, above 1 when over quota); absent until the quota controller computes usage, or when hard is 0.",
			Labels: []string{"namespace", "resourcequota", "resource"}, Bound: "one series per resource listed in a ResourceQuota"},
	},
	New: func(d Deps) (Collector, error) {
		return &resourcesCollector{a: resourcesAnalysis(d)}, nil
	},
}

// resourcesAnalysis is shared with the score.
func resourcesAnalysis(d Deps) *analysis[resources.Result] {
	excluded := d.ExcludedNamespaces
	return sharedAnalysis(d, "resources", d.Cluster, func(s *cluster.Snapshot) resources.Result {
		return resources.Analyze(s, excluded)
	}, resourcesReads...)
}

type resourcesCollector struct {
	a *analysis[resources.Result]
}

// Version is the cluster snapshot generation: an unchanged cluster is
// served from the last output.
func (c *resourcesCollector) Version() uint64 { return c.a.version() }

func (c *resourcesCollector) Update(ctx context.Context, e *Emitter) error {
	res, err := c.a.get()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, cc := range res.Containers {
		l := []string{cc.Namespace, cc.Resource, cc.ContainerType}
		e.Gauge("kube_reliability_namespace_containers", float64(cc.Total), l...)
		e.Gauge("kube_reliability_namespace_containers_without_requests", float64(cc.WithoutRequests), l...)
		e.Gauge("kube_reliability_namespace_containers_without_limits", float64(cc.WithoutLimits), l...)
	}
	for _, n := range res.Namespaces {
		e.Gauge("kube_reliability_namespace_resourcequotas", float64(n.ResourceQuotas), n.Name)
		e.Gauge("kube_reliability_namespace_limitranges", float64(n.LimitRanges), n.Name)
		for _, r := range resources.Resources {
			e.Bool("kube_reliability_namespace_default_request", n.DefaultRequest[string(r)], n.Name, string(r))
			e.Bool("kube_reliability_namespace_default_limit", n.DefaultLimit[string(r)], n.Name, string(r))
		}
	}
	for _, q := range res.Quotas {
		e.Gauge("kube_reliability_resourcequota_usage_ratio", q.Used/q.Hard, q.Namespace, q.Name, q.Resource)
	}
	return nil
}
