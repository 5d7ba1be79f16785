package collector

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/sourcestatus"
	"github.com/kube-reliability/kube-reliability-exporter/internal/targets"
)

// Mode is a set of exporter modes a collector runs in.
type Mode uint8

// The modes that serve metrics. Audit prints findings instead of metrics
// and does not run collectors.
const (
	Central Mode = 1 << iota
	Agent
	Demo
)

// String names the modes in the set, for docs and errors.
func (m Mode) String() string {
	s := ""
	for _, x := range []struct {
		m    Mode
		name string
	}{{Central, "central"}, {Agent, "agent"}, {Demo, "demo"}} {
		if m&x.m != 0 {
			if s != "" {
				s += ", "
			}
			s += x.name
		}
	}
	return s
}

// Type is a metric family's type.
type Type string

// Supported metric types.
const (
	Gauge   Type = "gauge"
	Counter Type = "counter"
)

// Stability tells users what they may build on.
type Stability string

// Stability levels, as kube-state-metrics uses them.
const (
	Experimental Stability = "experimental"
	Stable       Stability = "stable"
)

// MetricSpec declares one metric family.
type MetricSpec struct {
	Name      string
	Type      Type
	Stability Stability
	Help      string
	Labels    []string
	// Bound states the family's cardinality, printed in the docs.
	Bound string
}

// Spec declares one collector.
type Spec struct {
	Name           string
	Modes          Mode
	DefaultEnabled bool
	Metrics        []MetricSpec
	// Reads names the Kubernetes resources the collector's analysis
	// reads from the shared informers (nodes, pods, …): only the
	// resources of enabled collectors are watched, so a disabled
	// collector costs no informer and needs no RBAC rule. Its analysis
	// refuses to run while one of them is unsynced or unwatched.
	Reads []string
	// Uses names the background sources the collector reads besides
	// the informers (helm, gateway, etcd, storage, health): those of no
	// enabled collector are not started.
	Uses []Source
	// RunsLast: the collector reads the others' output (the hypotheses),
	// so it runs after them in every scrape.
	RunsLast bool
	New      func(Deps) (Collector, error)
}

// Source is a background part of the exporter a collector reads.
type Source string

// The background sources, started only for the collectors that use them.
const (
	HelmStorages     Source = "helm"
	GatewayAPI       Source = "gateway"
	EtcdMembers      Source = "etcd"
	APIServerStorage Source = "apiserver_storage"
	HealthEndpoints  Source = "health_endpoints"
	TLSEndpoints     Source = "tls_endpoints"
	APIServices      Source = "apiservices"
	CertManager      Source = "cert_manager"
)

// workloadReads are what every workload analysis reads (cluster.Workloads).
// (HorizontalPodAutoscalers set workloads' replica floors.)
var workloadReads = []string{"nodes", "pods", "deployments", "statefulsets", "replicasets", "daemonsets", "horizontalpodautoscalers"}

func reads(extra ...string) []string { return append(append([]string{}, workloadReads...), extra...) }

// Reads is the union of the resources the collectors in specs read, in
// a stable order.
func Reads(specs []*Spec) []string {
	var out []string
	for _, s := range specs {
		for _, r := range s.Reads {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Uses reports whether any collector in specs uses src.
func Uses(specs []*Spec, src Source) bool {
	for _, s := range specs {
		if slices.Contains(s.Uses, src) {
			return true
		}
	}
	return false
}

// Deps is what a collector constructor may use.
type Deps struct {
	Logger  *slog.Logger
	Cluster ClusterSource
	// Status reports the health of the sources behind Cluster.
	Status sourcestatus.Reporter
	// Helm hands out Helm release metadata (central, demo).
	Helm HelmSource
	// Etcd hands out etcd member polls; nil when no endpoint is configured.
	Etcd EtcdSource
	// Storage hands out the API server's view of the etcd database size.
	Storage StorageSource
	// Gateway hands out the Gateway API objects where the CRDs exist.
	Gateway GatewaySource
	// Nginx hands out the node's nginx instances (agent, demo).
	Nginx NginxSource
	// StubStatus lists the nginx stub_status pages to read (agent).
	StubStatus []targets.Target
	// Health hands out the fetched health responses (central, demo); nil:
	// the graph from specs and annotations alone.
	Health HealthSource
	// NodePods names the pods nginx instances run in (agent); nil: unknown.
	NodePods PodNamer
	// Disk is the agent's view of the etcd data disk.
	Disk DiskSource
	// Certs hands out the TLS probes of Ingress hosts (central); nil: not
	// probed.
	Certs CertSource
	// APIServices hands out the aggregated APIs (central); nil: not watched.
	APIServices APIServiceSource
	// CertManager hands out cert-manager's Certificates where its CRD is
	// installed (central); nil: not watched.
	CertManager CertManagerSource
	// FindingsSink, when set, is handed the live findings (and the
	// accepted ones) each time the score collector computes them
	// (central's PolicyReport writer).
	FindingsSink FindingsSink
	// APIServerVersion returns the API server's version ("v1.37.2")
	// (central); nil: unknown.
	APIServerVersion func(context.Context) (string, error)
	// Now is the clock for time-relative values; nil means time.Now.
	Now func() time.Time
	// AfterCollect is called when a scrape's collectors are done
	// (central returns the memory its analyses freed); nil: nothing.
	AfterCollect func()

	Settings

	shared *shared // set by NewSet
}

// Settings are what collectors are configured with (the RELIABILITY_
// variables), apart from the sources they read.
type Settings struct {
	// ExcludedNamespaces are left out of namespace-level analysis.
	ExcludedNamespaces []string
	// EtcdJudgement: the oldest acceptable etcd versions and the known
	// issues member versions are judged by.
	EtcdJudgement EtcdJudgement
	// StubStatusTimeout is the deadline of one stub_status read (agent).
	StubStatusTimeout time.Duration
	// HealthConfig: how health checks are recognised.
	HealthConfig HealthConfig
	// EtcdDataDir is the etcd data directory whose disk the agent reads.
	EtcdDataDir string
	// HypothesesFile holds user-defined steady-state hypotheses ("": none).
	HypothesesFile string
	// OwnerLabels are the namespace labels that name its owner, first
	// found wins (kube_reliability_namespace_owner_info).
	OwnerLabels []string
	// ExemptionsFile lists accepted findings the score leaves out ("": none).
	ExemptionsFile string
	// AnalysisMinInterval is the least time between two analyses of a
	// changing cluster (0: analyse on every change a scrape sees).
	AnalysisMinInterval time.Duration
	// ScrapeWait is the longest a scrape waits for the collectors to
	// catch up with a change once each has an output; past it the last
	// outputs are served (0: wait until they catch up).
	ScrapeWait time.Duration
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// ResourceStatus is the health of one watched resource.
type ResourceStatus = sourcestatus.Resource

// Collector produces one collector's metrics for one scrape.
type Collector interface {
	// Update emits the metrics of one scrape through e. It must return
	// once ctx is done. An error means the collector's state is unknown:
	// nothing it emitted is exported.
	Update(ctx context.Context, e *Emitter) error
}

// ErrNoData marks a collector that has nothing to report because an
// optional feature is absent; it is logged at debug, not as a failure.
var ErrNoData = sourcestatus.ErrNoData

// EtcdJudgement configures the etcd cluster verdict.
type EtcdJudgement = etcd.Judgement

// noSource is the collector of a signal whose source is not configured
// here (no etcd endpoints, no API server, no Gateway API, no agent
// sampler): nothing to know, nothing exported, and not a failure.
type noSource struct{}

func (noSource) Update(context.Context, *Emitter) error { return ErrNoData }
