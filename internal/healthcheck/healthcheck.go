package healthcheck

import (
	"cmp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthgraph"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthresp"
)

// DependsOnAnnotation, on a workload, lists the Services its health check
// depends on: comma-separated "svc" (same namespace), "svc.ns" or
// "ns/svc"; other names are external dependencies.
const DependsOnAnnotation = "health.kube-reliability.io/depends-on"

// Probe kinds.
const (
	Liveness  = "liveness"
	Readiness = "readiness"
	Startup   = "startup"
)

// Probes lists the probe kinds in label order.
var Probes = []string{Liveness, Readiness, Startup}

// Edge sources, as in the source label.
const (
	SourceProbeSpec  = "probe_spec"
	SourceAnnotation = "annotation"
	SourceResponse   = "health_response"
)

// Key names a workload.
type Key struct{ Namespace, Kind, Name string }

// Endpoint is a health endpoint the fetcher reads: one ready pod's probe
// target. Key and Probe identify it across snapshots.
type Endpoint struct {
	Key   Key
	Probe string // Liveness or Readiness
	// URL is the pod's own address: scheme://podIP:port/path.
	URL string
}

// Fetched is what the fetcher got from an endpoint.
type Fetched struct {
	// Err is the bounded reason the last fetch failed; empty on success.
	Err      string
	Response healthresp.Response
	// Known: Response holds a response, from this read or, when this read
	// failed (Err set), from the last one that succeeded. A success is
	// always known.
	Known bool
	// ReadAt is when Response was read.
	ReadAt time.Time
}

// usable reports whether f holds a response to build the graph from.
func (f Fetched) usable() bool { return f.Err == "" || f.Known }

// Config holds the standard routes.
type Config struct {
	// LivenessRoutes and ReadinessRoutes are the paths probes are expected
	// on (default /health and /ping).
	LivenessRoutes, ReadinessRoutes []string
	// ClusterDomain is the DNS suffix of Services (cluster.local).
	ClusterDomain string
}

// Container is the probe check of one container.
type Container struct {
	Name string
	// Present per probe kind.
	Present map[string]bool
	// LivenessSameAsReadiness: both probes present with the same handler.
	LivenessSameAsReadiness bool
	// StandardRoute per HTTP probe kind: its path is in the configured
	// list. Absent for probes that are not HTTP.
	StandardRoute map[string]bool
	// PortInvalid per probe kind whose port the kubelet can never reach,
	// with why (PortUndeclared, PortUDP): the probe fails every time.
	PortInvalid map[string]string
}

// Why a probe's port cannot work.
const (
	// PortUndeclared: a named port the container does not declare; the
	// kubelet cannot resolve it.
	PortUndeclared = "undeclared_named_port"
	// PortUDP: an HTTP or TCP probe on a port the container declares for
	// UDP only.
	PortUDP = "udp_port"
)

// Edge is one dependency of a workload's health check.
type Edge struct {
	To     Key
	Source string
	Probe  string // the probe it came from; empty for the annotation
}

// Workload is the analysis of one workload.
type Workload struct {
	Key        Key
	Containers []Container
	// HasHealthCheck: a probe or the annotation; only these are in the
	// dependency metrics.
	HasHealthCheck bool
	Edges          []Edge // to workloads, deduplicated
	// External counts distinct dependencies that resolve to no workload.
	External int
	// LivenessChecksDependencies: the liveness probe's target reaches
	// another service (spec) or its response reports dependencies.
	LivenessChecksDependencies bool
	Depth                      int
	InCycle                    bool
	// Formats and FetchErrors per probe kind that was fetched.
	Formats, FetchErrors map[string]string
	// Stale: per probe whose last read failed, when the response the
	// graph still uses was read.
	Stale map[string]time.Time
	// Complete: the responses of this workload and of every workload it
	// reaches are known (or fetching is off), so its edges, depth, cycle
	// and liveness verdicts are whole. When false, only what is known to
	// be true holds (an edge, a cycle); the rest is unknown.
	Complete bool
}

// Result is the whole analysis.
type Result struct {
	Workloads []Workload
	Longest   int
	InCycles  int
	// Fetching: responses were asked for (a fetcher runs). Then
	// EndpointsExpected counts the endpoints Endpoints lists and
	// EndpointsKnown those with a known response; Longest and InCycles
	// are lower bounds until both are equal.
	Fetching                          bool
	EndpointsExpected, EndpointsKnown int
}

// Analyze checks the probes and builds and analyses the graph.
func Analyze(snap *cluster.Snapshot, cfg Config, fetched map[Endpoint]Fetched) Result {
	ws := cluster.Workloads(snap)
	svcs := indexServices(snap, ws, cfg)
	index := map[Key]int{}
	out := make([]Workload, len(ws))
	for i, w := range ws {
		k := Key{w.Meta.Namespace, w.Kind, w.Meta.Name}
		index[k] = i
		out[i] = Workload{Key: k, Containers: checkContainers(w.Template.Spec.Containers, cfg)}
	}
	// With a fetcher, each workload's HTTP probes are expected to be read;
	// until they are, its responses are unknown.
	expected := map[Key][]string{}
	if fetched != nil {
		for _, ep := range Endpoints(snap) {
			expected[ep.Key] = append(expected[ep.Key], ep.Probe)
		}
	}
	byEndpoint := map[Key]map[string]Fetched{}
	for ep, f := range fetched {
		if byEndpoint[ep.Key] == nil {
			byEndpoint[ep.Key] = map[string]Fetched{}
		}
		byEndpoint[ep.Key][ep.Probe] = f
	}
	g := healthgraph.New(len(ws))
	for i, w := range ws {
		r := &out[i]
		d := &dependencies{svcs: svcs, out: out, ns: w.Meta.Namespace, edges: map[Edge]bool{}, external: map[string]bool{}}
		d.fromProbes(w, r)
		d.fromAnnotation(w, r)
		d.fromResponses(r, byEndpoint[r.Key])
		edges, external := d.edges, d.external
		for e := range edges {
			r.Edges = append(r.Edges, e)
			g.AddEdge(i, index[e.To])
		}
		slices.SortFunc(r.Edges, func(a, b Edge) int {
			return cmp.Or(cmp.Compare(a.To.Namespace, b.To.Namespace), cmp.Compare(a.To.Kind, b.To.Kind),
				cmp.Compare(a.To.Name, b.To.Name), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Probe, b.Probe))
		})
		r.External = len(external)
		if r.External > 0 {
			g.AddExternal(i)
		}
	}
	a := healthgraph.Analyze(g)
	res := Result{Workloads: out, Longest: a.Longest, InCycles: a.InCycles, Fetching: fetched != nil}
	for i := range out {
		out[i].Depth, out[i].InCycle = a.Depth[i], a.InCycle[i]
	}
	markComplete(&res, expected, byEndpoint, index)
	// Bare pods have no template: their own containers' probes are
	// checked too (they are in no dependency graph).
	for _, p := range snap.Pods {
		if p.BareSpec == nil || p.Terminating || cluster.ControllerOf(p.OwnerReferences) != nil {
			continue
		}
		res.Workloads = append(res.Workloads, Workload{Key: Key{p.Namespace, cluster.KindPod, p.Name}, Complete: true,
			Containers: checkContainers(p.BareSpec.Containers, cfg)})
	}
	return res
}

// markComplete counts the known endpoints and marks the workloads whose
// graph values are whole: a workload is incomplete when its own expected
// responses are not all known, or when it reaches (through the edges
// known so far) one that is. Unknown responses can only add edges out of
// incomplete workloads, so everything else is final. One walk of the
// reversed graph from the unknown workloads: O(workloads + edges).
func markComplete(res *Result, expected map[Key][]string, byEndpoint map[Key]map[string]Fetched, index map[Key]int) {
	out := res.Workloads
	reverse := make([][]int, len(out))
	for i := range out {
		for _, e := range out[i].Edges {
			j := index[e.To]
			reverse[j] = append(reverse[j], i)
		}
	}
	var queue []int
	incomplete := make([]bool, len(out))
	for i := range out {
		for _, probe := range expected[out[i].Key] {
			res.EndpointsExpected++
			if f, ok := byEndpoint[out[i].Key][probe]; ok && f.usable() {
				res.EndpointsKnown++
			} else if !incomplete[i] {
				incomplete[i] = true
				queue = append(queue, i)
			}
		}
	}
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		for _, i := range reverse[j] {
			if !incomplete[i] {
				incomplete[i] = true
				queue = append(queue, i)
			}
		}
	}
	for i := range out {
		out[i].Complete = !incomplete[i]
	}
}

// dependencies gathers one workload's health-check dependencies: workloads
// behind the Services its checks name, and names no Service resolves
// (external).
type dependencies struct {
	svcs     *services
	out      []Workload
	ns       string
	edges    map[Edge]bool
	external map[string]bool
}

// add records the dependency on name; false when name is the workload
// itself.
func (d *dependencies) add(name, source, probe string) bool {
	svc, self := d.svcs.resolve(d.ns, name)
	switch {
	case self:
		return false
	case svc == nil || len(d.svcs.backends[svc]) == 0:
		d.external[strings.ToLower(name)] = true
	default:
		for _, b := range d.svcs.backends[svc] {
			d.edges[Edge{To: d.out[b].Key, Source: source, Probe: probe}] = true
		}
	}
	return true
}

// fromProbes reads the hosts and Services the probes' specs name.
func (d *dependencies) fromProbes(w *cluster.Workload, r *Workload) {
	for _, c := range w.Template.Spec.Containers {
		for probe, p := range map[string]*corev1.Probe{Liveness: c.LivenessProbe, Readiness: c.ReadinessProbe, Startup: c.StartupProbe} {
			if p == nil {
				continue
			}
			r.HasHealthCheck = true
			for _, name := range specNames(p, d.svcs, d.ns) {
				if d.add(name, SourceProbeSpec, probe) && probe == Liveness {
					r.LivenessChecksDependencies = true
				}
			}
		}
	}
}

// fromAnnotation reads the depends-on annotation.
func (d *dependencies) fromAnnotation(w *cluster.Workload, r *Workload) {
	a := w.Meta.Annotations[DependsOnAnnotation]
	if a == "" {
		return
	}
	r.HasHealthCheck = true
	for name := range strings.SplitSeq(a, ",") {
		if name = strings.TrimSpace(name); name != "" {
			d.add(name, SourceAnnotation, "")
		}
	}
}

// fromResponses reads what the workload's health endpoints answered, by
// probe, and records their formats and read errors.
func (d *dependencies) fromResponses(r *Workload, byProbe map[string]Fetched) {
	for probe, f := range byProbe {
		if f.Err != "" {
			if r.FetchErrors == nil {
				r.FetchErrors = map[string]string{}
			}
			r.FetchErrors[probe] = f.Err
			if !f.Known {
				continue
			}
			// The last good response still holds: a failed read does
			// not erase what the workload's checks were seen to call.
			if r.Stale == nil {
				r.Stale = map[string]time.Time{}
			}
			r.Stale[probe] = f.ReadAt
		}
		if r.Formats == nil {
			r.Formats = map[string]string{}
		}
		r.Formats[probe] = f.Response.Format
		for _, c := range f.Response.Dependencies() {
			name := c.Name
			if svc, _ := d.svcs.resolve(d.ns, name); svc == nil && c.Alt != "" {
				if alt, _ := d.svcs.resolve(d.ns, c.Alt); alt != nil {
					name = c.Alt
				}
			}
			if d.add(name, SourceResponse, probe) && probe == Liveness {
				r.LivenessChecksDependencies = true
			}
		}
	}
}
