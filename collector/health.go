//go:build !agentonly

package collector

import (
	"context"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthfetch"
)

// HealthSource hands out what the background fetcher read from the
// workloads' health endpoints (healthfetch.Fetcher).
type HealthSource interface {
	Results() map[healthcheck.Endpoint]healthcheck.Fetched
	Failures() map[string]uint64
	// Version changes whenever Results does.
	Version() uint64
	LastRound() (healthfetch.RoundStats, bool)
	Interval() time.Duration
}

var (
	containerProbeLabels    = []string{"namespace", "owner_kind", "owner_name", "container", "probe"}
	workloadContainerLabels = []string{"namespace", "owner_kind", "owner_name", "container"}
	workloadProbeLabels     = []string{"namespace", "owner_kind", "owner_name", "probe"}
)

const (
	perContainer = "one series per container of each workload"
	// Workloads whose checks depend on nothing have depth 0, no cycle and
	// no dependencies: at 15,000 workloads, 75,000 series that say so.
	// Their absence says it, while the collector succeeds.
	perHealthWorkload = "one series per workload whose health checks depend on another workload or an external service"
)

// Health checks resolve the names they call through Services.
var healthReads = reads("services")

var healthSpec = Spec{
	Name: "health", Modes: Central | Demo, DefaultEnabled: true, Reads: healthReads, Uses: []Source{HealthEndpoints},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_workload_probe_present", Type: Gauge, Stability: Experimental,
			Help: "1 if the container has the probe (liveness, readiness, startup), else 0.", Labels: containerProbeLabels, Bound: "3 series per container of each workload"},
		{Name: "kube_reliability_workload_probe_port_invalid", Type: Gauge, Stability: Experimental,
			Help: "1 for a probe whose port the kubelet can never reach, by reason: undeclared_named_port (a named port the container does not declare), udp_port (an HTTP or TCP probe on a port declared for UDP only). The probe fails every time: a liveness probe restarts the container forever, a readiness probe keeps it unready, a startup probe never lets it start. Absent for probes that can work.", Labels: append(append([]string{}, containerProbeLabels...), "reason"), Bound: "one series per misconfigured probe"},
		{Name: "kube_reliability_workload_liveness_same_as_readiness", Type: Gauge, Stability: Experimental,
			Help: "1 if the container's liveness and readiness probes check the same thing (handler, port, path): a readiness failure then restarts the container.", Labels: workloadContainerLabels, Bound: perContainer},
		{Name: "kube_reliability_workload_probe_standard_route", Type: Gauge, Stability: Experimental,
			Help: "1 if the container's HTTP probe is on a standard route (RELIABILITY_HEALTH_LIVENESS_ROUTES, RELIABILITY_HEALTH_READINESS_ROUTES), else 0; absent for probes that are not HTTP.", Labels: containerProbeLabels, Bound: "2 series per container with HTTP probes"},
		{Name: "kube_reliability_health_dependency_depth", Type: Gauge, Stability: Experimental,
			Help: "Longest chain of health-check dependencies from the workload, in hops (A checks B checks C: 2 for A), counting a cycle as one and an external dependency as one hop; absent while the graph is incomplete for it (kube_reliability_health_graph_incomplete).", Labels: workloadLabels, Bound: perHealthWorkload},
		{Name: "kube_reliability_health_dependency_in_cycle", Type: Gauge, Stability: Experimental,
			Help: "1 if the workload's health check depends, through other workloads', on itself: a failure anywhere in the loop fails them all; 0 only when the graph is complete for it (absent while a response it may depend on is unknown).", Labels: workloadLabels, Bound: perHealthWorkload},
		{Name: "kube_reliability_health_graph_incomplete", Type: Gauge, Stability: Experimental,
			Help: "1 while the health responses of the workload, or of a workload it depends on, have not been read: only what is known to be true (edges, cycles, liveness checking dependencies) is exported for it, and its depth, 0-valued verdicts and dependency counts are absent.", Labels: workloadLabels, Bound: "one series per workload whose graph is incomplete (none once every response has been read)"},
		{Name: "kube_reliability_health_response_read_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "When (Unix time) the response the graph still uses for the workload's probe was read, after its last read failed: the last good one, kept so a flapping endpoint does not erase its dependencies (its age is time() minus this). Absent while reads succeed.", Labels: workloadProbeLabels, Bound: "one series per probe whose last read failed after an earlier success"},
		{Name: "kube_reliability_health_graph_complete", Type: Gauge, Stability: Experimental,
			Help: "1 when the response of every health endpoint the fetcher reads is known, so the cluster totals (longest chain, workloads in cycles) are whole; 0 while some are not, when they are lower bounds. Absent when health fetching is off.", Bound: "one series"},
		{Name: "kube_reliability_health_fetch_coverage_ratio", Type: Gauge, Stability: Experimental,
			Help: "Share of the health endpoints the fetcher reads (liveness and readiness of one ready pod per workload) whose response is known, from the latest read or an earlier one. Absent when health fetching is off or there is nothing to read.", Bound: "one series"},
		{Name: "kube_reliability_health_dependencies", Type: Gauge, Stability: Experimental,
			Help: "Direct dependencies of the workload's health checks: workloads (resolved through Services) and external ones (names that resolve to no workload).", Labels: append(append([]string{}, workloadLabels...), "kind"), Bound: "2 series per workload whose health checks have dependencies"},
		{Name: "kube_reliability_health_liveness_checks_dependencies", Type: Gauge, Stability: Experimental,
			Help: "1 if the workload's liveness probe checks other services (its spec targets one, or its response lists dependencies): when they fail, the kubelet restarts this healthy workload.", Labels: workloadLabels, Bound: perHealthWorkload},
		{Name: "kube_reliability_health_dependency_edge", Type: Gauge, Stability: Experimental,
			Help:   "1 for each health-check dependency of a workload on another, by source: probe_spec, annotation, health_response (the dependency graph, for dashboards).",
			Labels: []string{"namespace", "owner_kind", "owner_name", "dependency_namespace", "dependency_kind", "dependency_name", "source"}, Bound: "one series per dependency edge"},
		{Name: "kube_reliability_health_response_format", Type: Gauge, Stability: Experimental,
			Help: "1 with the format of the workload's last health response by probe (health_json, spring_boot, microprofile, other_json, plain); absent until read successfully.", Labels: append(append([]string{}, workloadProbeLabels...), "format"), Bound: "one series per fetched probe (liveness, readiness) of each workload"},
		{Name: "kube_reliability_health_fetch_error", Type: Gauge, Stability: Experimental,
			Help: "1 with the reason the last read of the workload's health endpoint failed (timeout, unreachable, http_status, redirect, too_large, too_deep, invalid_utf8, invalid_json, tls); absent when it succeeded.", Labels: append(append([]string{}, workloadProbeLabels...), "reason"), Bound: "one series per failing endpoint"},
		{Name: "kube_reliability_health_longest_dependency_chain", Type: Gauge, Stability: Experimental,
			Help: "Longest health-check dependency chain in the cluster, in hops.", Bound: "one series"},
		{Name: "kube_reliability_health_workloads_in_cycles", Type: Gauge, Stability: Experimental,
			Help: "Workloads whose health checks are in a dependency cycle.", Bound: "one series"},
	},
	New: func(d Deps) (Collector, error) {
		return &healthCollector{src: d.Health, a: healthAnalysis(d)}, nil
	},
}

// healthAnalysis is the health-check graph, shared with the no-cycle
// hypothesis.
func healthAnalysis(d Deps) *analysis[healthcheck.Result] {
	src := healthGenerations{d.Cluster, d.Health}
	return sharedAnalysis(d, "health", cluster.Source(src), func(s *cluster.Snapshot) healthcheck.Result {
		var fetched map[healthcheck.Endpoint]healthcheck.Fetched
		if d.Health != nil {
			fetched = d.Health.Results()
		}
		return healthcheck.Analyze(s, d.HealthConfig, fetched)
	}, healthReads...)
}

// healthGenerations changes when the cluster or the fetched responses do.
type healthGenerations struct {
	cluster.Source
	health HealthSource
}

func (h healthGenerations) Generation() uint64 {
	g := h.Source.Generation()
	if h.health != nil {
		g = g<<20 ^ h.health.Version()
	}
	return g
}

type healthCollector struct {
	src HealthSource // nil: no fetching (audit-like static view)
	a   *analysis[healthcheck.Result]
}

// Version changes with the cluster and the fetched responses.
func (c *healthCollector) Version() uint64 { return c.a.version() }

func (c *healthCollector) Update(ctx context.Context, e *Emitter) error {
	res, err := c.a.get()
	if err != nil {
		return err
	}
	for i, w := range res.Workloads {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		k := w.Key
		for _, ct := range w.Containers {
			for _, p := range healthcheck.Probes {
				e.Bool("kube_reliability_workload_probe_present", ct.Present[p], k.Namespace, k.Kind, k.Name, ct.Name, p)
			}
			e.Bool("kube_reliability_workload_liveness_same_as_readiness", ct.LivenessSameAsReadiness, k.Namespace, k.Kind, k.Name, ct.Name)
			for _, p := range healthcheck.Probes {
				if why, ok := ct.PortInvalid[p]; ok {
					e.Gauge("kube_reliability_workload_probe_port_invalid", 1, k.Namespace, k.Kind, k.Name, ct.Name, p, why)
				}
			}
			for _, p := range []string{healthcheck.Liveness, healthcheck.Readiness} {
				if std, ok := ct.StandardRoute[p]; ok {
					e.Bool("kube_reliability_workload_probe_standard_route", std, k.Namespace, k.Kind, k.Name, ct.Name, p)
				}
			}
		}
		for _, p := range []string{healthcheck.Liveness, healthcheck.Readiness} {
			// Formats rarely change: one series, not a state set of five.
			if f, ok := w.Formats[p]; ok {
				e.Gauge("kube_reliability_health_response_format", 1, k.Namespace, k.Kind, k.Name, p, f)
			}
			if reason, ok := w.FetchErrors[p]; ok {
				e.Gauge("kube_reliability_health_fetch_error", 1, k.Namespace, k.Kind, k.Name, p, reason)
			}
		}
		for _, p := range []string{healthcheck.Liveness, healthcheck.Readiness} {
			if at, ok := w.Stale[p]; ok {
				e.Gauge("kube_reliability_health_response_read_timestamp_seconds", float64(at.UnixNano())/1e9, k.Namespace, k.Kind, k.Name, p)
			}
		}
		if !w.Complete {
			// Unknown is not "depends on nothing": say so, and export
			// only what is known to be true.
			e.Gauge("kube_reliability_health_graph_incomplete", 1, k.Namespace, k.Kind, k.Name)
			if w.InCycle {
				e.Gauge("kube_reliability_health_dependency_in_cycle", 1, k.Namespace, k.Kind, k.Name)
			}
			if w.LivenessChecksDependencies {
				e.Gauge("kube_reliability_health_liveness_checks_dependencies", 1, k.Namespace, k.Kind, k.Name)
			}
			emitEdges(e, w)
			continue
		}
		if !w.HasHealthCheck || (len(w.Edges) == 0 && w.External == 0 && !w.LivenessChecksDependencies) {
			continue
		}
		e.Gauge("kube_reliability_health_dependency_depth", float64(w.Depth), k.Namespace, k.Kind, k.Name)
		e.Bool("kube_reliability_health_dependency_in_cycle", w.InCycle, k.Namespace, k.Kind, k.Name)
		workloads := map[healthcheck.Key]bool{}
		for _, edge := range w.Edges {
			workloads[edge.To] = true
		}
		e.Gauge("kube_reliability_health_dependencies", float64(len(workloads)), k.Namespace, k.Kind, k.Name, "workload")
		e.Gauge("kube_reliability_health_dependencies", float64(w.External), k.Namespace, k.Kind, k.Name, "external")
		e.Bool("kube_reliability_health_liveness_checks_dependencies", w.LivenessChecksDependencies, k.Namespace, k.Kind, k.Name)
		emitEdges(e, w)
	}
	e.Gauge("kube_reliability_health_longest_dependency_chain", float64(res.Longest))
	e.Gauge("kube_reliability_health_workloads_in_cycles", float64(res.InCycles))
	if res.Fetching {
		e.Bool("kube_reliability_health_graph_complete", res.EndpointsKnown == res.EndpointsExpected)
		if res.EndpointsExpected > 0 {
			e.Gauge("kube_reliability_health_fetch_coverage_ratio", float64(res.EndpointsKnown)/float64(res.EndpointsExpected))
		}
	}
	return nil
}

// emitEdges exports the workload's known dependency edges, one series per
// target and source whichever probes.
func emitEdges(e *Emitter, w healthcheck.Workload) {
	k := w.Key
	sources := map[[4]string]bool{}
	for _, edge := range w.Edges {
		key := [4]string{edge.To.Namespace, edge.To.Kind, edge.To.Name, edge.Source}
		if !sources[key] {
			sources[key] = true
			e.Gauge("kube_reliability_health_dependency_edge", 1, k.Namespace, k.Kind, k.Name, key[0], key[1], key[2], key[3])
		}
	}
}

// healthFetchSpec reports the background fetcher's own work: failures as
// they happen, and whether a round of reads fits its interval (at 15,000
// workloads and the default 20 reads/s, a round takes 25 minutes).
var healthFetchSpec = Spec{
	Name: "health_fetch", Modes: Central | Demo, DefaultEnabled: true, Reads: healthReads, Uses: []Source{HealthEndpoints},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_health_fetch_failures_total", Type: Counter, Stability: Experimental,
			Help: "Failed reads of health endpoints since start, by reason.", Labels: []string{"reason"}, Bound: "9 series"},
		{Name: "kube_reliability_health_fetch_last_round_duration_seconds", Type: Gauge, Stability: Experimental,
			Help: "How long the last complete round of health endpoint reads took; above kube_reliability_health_fetch_interval_seconds, rounds run back to back and results are that old. Absent before the first round ends.", Bound: "one series"},
		{Name: "kube_reliability_health_fetch_last_round_endpoints", Type: Gauge, Stability: Experimental,
			Help: "Health endpoints the last complete round read (liveness and readiness of one ready pod per workload).", Bound: "one series"},
		{Name: "kube_reliability_health_fetch_interval_seconds", Type: Gauge, Stability: Experimental,
			Help: "How often a round of health endpoint reads starts (RELIABILITY_HEALTH_FETCH_INTERVAL).", Bound: "one series"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Health == nil {
			return noSource{}, nil
		}
		return healthFetchCollector{d.Health}, nil
	},
}

type healthFetchCollector struct{ src HealthSource }

func (c healthFetchCollector) Update(_ context.Context, e *Emitter) error {
	failures := c.src.Failures()
	for _, r := range healthfetch.Reasons {
		e.Counter("kube_reliability_health_fetch_failures_total", float64(failures[r]), r)
	}
	e.Gauge("kube_reliability_health_fetch_interval_seconds", c.src.Interval().Seconds())
	if last, ok := c.src.LastRound(); ok {
		e.Gauge("kube_reliability_health_fetch_last_round_duration_seconds", last.Duration.Seconds())
		e.Gauge("kube_reliability_health_fetch_last_round_endpoints", float64(last.Endpoints))
	}
	return nil
}
