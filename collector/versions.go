//go:build !agentonly

package collector

import (
	"context"
	"fmt"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/controllerversions"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kubeversions"
	"github.com/kube-reliability/kube-reliability-exporter/internal/sourcestatus"
	"github.com/kube-reliability/kube-reliability-exporter/internal/versioncheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"
)

// APIServerFactsSource hands out what the API server's own /metrics says
// of its version and the deprecated APIs clients request (the storage
// sizes' read).
type APIServerFactsSource interface {
	Facts() (etcd.APIServerFacts, error)
}

var versionsReads = []string{"nodes", "pods", "daemonsets", "deployments", "statefulsets", "replicasets", "horizontalpodautoscalers"}

var versionsSpec = Spec{
	Name: "versions", Modes: Central, DefaultEnabled: true, Reads: versionsReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_apiserver_version_info", Type: Gauge, Stability: Experimental,
			Help:   "1 with the API server's version (kubernetes_build_info on its /metrics) and minor.",
			Labels: []string{"git_version", "minor"}, Bound: "one series"},
		{Name: "kube_reliability_apiserver_end_of_life_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help:   "When the API server's minor stops getting patches (kubernetes.io/releases, internal/kubeversions/kubernetes.yaml). For a minor older than the table, the end of the oldest newer row, which it ended no later than; absent for a minor newer than the table (unknown).",
			Labels: []string{"minor"}, Bound: "one series"},
		{Name: "kube_reliability_kubernetes_versions_table_revision", Type: Gauge, Stability: Experimental,
			Help: "Revision of internal/kubeversions/kubernetes.yaml (end of life, removed APIs) the verdicts come from.", Bound: "one series"},
		{Name: "kube_reliability_nodes_by_component_version", Type: Gauge, Stability: Experimental,
			Help:   "Nodes running each kubelet and kube-proxy version.",
			Labels: []string{"component", "version"}, Bound: "one series per component and version run (a handful)"},
		{Name: "kube_reliability_nodes_component_version_unknown", Type: Gauge, Stability: Experimental,
			Help:   "Nodes whose kubelet or kube-proxy version is unknown: kube-proxy is no longer reported in node status (1.31+ kubelets), and no kube-proxy DaemonSet pod runs on the node (kube-proxy replaced by Cilium and the like, or run outside Kubernetes).",
			Labels: []string{"component"}, Bound: "two series"},
		{Name: "kube_reliability_node_version_skew_minors", Type: Gauge, Stability: Experimental,
			Help:   "For each node component past the version skew policy (kubelet or kube-proxy more than 3 minors older than the API server, or newer): how many minors it is older (negative: newer). Absent for nodes within the policy.",
			Labels: []string{"node", "component", "version"}, Bound: "one series per node component past the policy"},
	},
	New: func(d Deps) (Collector, error) {
		tab, err := kubeversions.Load()
		if err != nil {
			return nil, fmt.Errorf("versions collector: %w", err)
		}
		return &versionsCollector{table: tab, version: d.APIServerVersion,
			nodes: sharedAnalysis(d, "versions_nodes", d.Cluster, versioncheck.Nodes, versionsReads...)}, nil
	},
}

type versionsCollector struct {
	table   *kubeversions.Table
	version func(context.Context) (string, error)
	nodes   *analysis[[]versioncheck.NodeVersion]
}

func (c *versionsCollector) Update(ctx context.Context, e *Emitter) error {
	e.Gauge("kube_reliability_kubernetes_versions_table_revision", float64(c.table.Revision))
	if c.version == nil {
		return fmt.Errorf("%w: the API server's version is not read here", sourcestatus.ErrNoData)
	}
	git, err := c.version(ctx)
	if err != nil {
		return fmt.Errorf("API server version: %w", err)
	}
	api, err := versiontable.ParseVersion(git)
	if err != nil {
		return fmt.Errorf("API server version %q: %w: version skew and end of life unknown", git, err)
	}
	nodes, err := c.nodes.get()
	if err != nil {
		return err
	}
	minor := api.MinorString()
	e.Gauge("kube_reliability_apiserver_version_info", 1, git, minor)
	if eol, _, ok := c.table.EndOfLife(api); ok {
		e.Gauge("kube_reliability_apiserver_end_of_life_timestamp_seconds", float64(eol.Unix()), minor)
	}
	j := versioncheck.Judge(nodes, api)
	for k, n := range j.ByVersion {
		e.Gauge("kube_reliability_nodes_by_component_version", float64(n), k[0], k[1])
	}
	for comp, n := range j.Unknown {
		e.Gauge("kube_reliability_nodes_component_version_unknown", float64(n), comp)
	}
	for i, v := range j.Violations {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e.Gauge("kube_reliability_node_version_skew_minors", float64(v.Minors), v.Node, v.Component, v.Version)
	}
	return nil
}

var deprecatedAPIsSpec = Spec{
	Name: "deprecated_apis", Modes: Central, DefaultEnabled: true, Uses: []Source{APIServerStorage},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_apiserver_deprecated_api_requested", Type: Gauge, Stability: Experimental,
			Help:   "1 for each deprecated API clients requested since the API server started (apiserver_requested_deprecated_apis), with the release that removes it (empty: none scheduled) and its replacement from internal/kubeversions (empty: not listed).",
			Labels: []string{"group", "version", "resource", "subresource", "removed_release", "replacement"}, Bound: "one series per deprecated resource requested (at most 512)"},
		{Name: "kube_reliability_apiserver_deprecated_api_minors_until_removal", Type: Gauge, Stability: Experimental,
			Help:   "Minor releases between the API server's and the one that removes a deprecated API clients still request: 1 means the next upgrade breaks them. Absent when no removal is scheduled.",
			Labels: []string{"group", "version", "resource", "subresource"}, Bound: "one series per deprecated resource requested with a removal release"},
	},
	New: func(d Deps) (Collector, error) {
		tab, err := kubeversions.Load()
		if err != nil {
			return nil, fmt.Errorf("deprecated_apis collector: %w", err)
		}
		facts, _ := d.Storage.(APIServerFactsSource)
		return &deprecatedAPIsCollector{table: tab, facts: facts, version: d.APIServerVersion}, nil
	},
}

type deprecatedAPIsCollector struct {
	table   *kubeversions.Table
	facts   APIServerFactsSource
	version func(context.Context) (string, error)
}

func (c *deprecatedAPIsCollector) Update(ctx context.Context, e *Emitter) error {
	if c.facts == nil {
		return fmt.Errorf("%w: the API server's /metrics is not read", sourcestatus.ErrNoData)
	}
	facts, err := c.facts.Facts()
	if err != nil {
		return fmt.Errorf("deprecated APIs requested: %w", err)
	}
	// The removal's distance needs the server's minor; without it the
	// requests are still reported.
	var api versiontable.Version
	known := false
	if c.version != nil {
		if git, err := c.version(ctx); err == nil {
			api, err = versiontable.ParseVersion(git)
			known = err == nil
		}
	}
	for _, d := range facts.Deprecated {
		repl := ""
		if a, ok := c.table.RemovedResource(d.Group, d.Version, d.Resource); ok {
			repl = a.Use
		}
		e.Gauge("kube_reliability_apiserver_deprecated_api_requested", 1, d.Group, d.Version, d.Resource, d.Subresource, d.RemovedRelease, repl)
		if removed, err := kubeversions.ParseMinor(d.RemovedRelease); err == nil && known && removed.Major == api.Major {
			e.Gauge("kube_reliability_apiserver_deprecated_api_minors_until_removal", float64(removed.Minor-api.Minor), d.Group, d.Version, d.Resource, d.Subresource)
		}
	}
	return nil
}

var controllerVersionsSpec = Spec{
	Name: "controller_versions", Modes: Central | Demo, DefaultEnabled: true, Reads: workloadReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_ingress_controller_pods", Type: Gauge, Stability: Experimental,
			Help:   "Pods of a workload running a known ingress or gateway controller image (internal/controllerversions), with the version its image tag names (the template's: during a rollout, the version being rolled out).",
			Labels: []string{"namespace", "workload_kind", "workload", "controller", "version"}, Bound: "one series per controller workload"},
		{Name: "kube_reliability_ingress_controller_known_issue", Type: Gauge, Stability: Experimental,
			Help:   "1 for each known issue of the controller version a workload runs: a CVE below its fixed floor, end of life, or a retired project (internal/controllerversions/known-issues.yaml).",
			Labels: []string{"namespace", "workload_kind", "workload", "controller", "version", "issue", "kind", "severity"}, Bound: "a few series per controller workload"},
		{Name: "kube_reliability_ingress_controller_version_unknown", Type: Gauge, Stability: Experimental,
			Help:   "1 for a controller workload whose image tag is no major.minor.patch version (a digest alone, latest, 3.6): its known issues cannot be judged.",
			Labels: []string{"namespace", "workload_kind", "workload", "controller"}, Bound: "one series per controller workload"},
		{Name: "kube_reliability_ingress_controller_known_issues_table_revision", Type: Gauge, Stability: Experimental,
			Help: "Revision of internal/controllerversions/known-issues.yaml the verdicts come from.", Bound: "one series"},
	},
	New: func(d Deps) (Collector, error) {
		tab, err := controllerversions.Load()
		if err != nil {
			return nil, fmt.Errorf("controller_versions collector: %w", err)
		}
		return &controllerVersionsCollector{revision: tab.Revision,
			a: sharedAnalysis(d, "controller_versions", d.Cluster, func(s *cluster.Snapshot) []versioncheck.ControllerWorkload {
				return versioncheck.Controllers(s, tab)
			}, workloadReads...)}, nil
	},
}

type controllerVersionsCollector struct {
	revision int
	a        *analysis[[]versioncheck.ControllerWorkload]
}

func (c *controllerVersionsCollector) Version() uint64 { return c.a.version() }

func (c *controllerVersionsCollector) Update(_ context.Context, e *Emitter) error {
	e.Gauge("kube_reliability_ingress_controller_known_issues_table_revision", float64(c.revision))
	res, err := c.a.get()
	if err != nil {
		return err
	}
	for _, w := range res {
		e.Gauge("kube_reliability_ingress_controller_pods", float64(w.Pods), w.Namespace, w.Kind, w.Name, w.Controller, w.Version)
		if w.Unknown != "" {
			e.Gauge("kube_reliability_ingress_controller_version_unknown", 1, w.Namespace, w.Kind, w.Name, w.Controller)
			continue
		}
		for _, is := range w.Issues {
			e.Gauge("kube_reliability_ingress_controller_known_issue", 1, w.Namespace, w.Kind, w.Name, w.Controller, w.Version, is.ID, is.Kind, is.Severity)
		}
	}
	return nil
}
