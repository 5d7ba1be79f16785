// Package kube owns the exporter's one connection to the Kubernetes API: a
// single shared informer factory whose caches every central-mode collector
// reads, so no collector builds its own watch and no scrape calls the API
// server.
//
// Informers watches the resources analysis needs — the kinds of
// cluster.Kinds, one informer each, trimmed on arrival by each kind's Trim
// (cluster.Transform) — counts list/watch errors
// per resource (through internal/apitransport's Activity, which sees the
// client's retries), and bumps a generation number on every change, which lets
// collectors cache an analysis until the cluster moves. It implements
// cluster.Source and cluster.StatusReporter. Streaming lists (WatchList) are
// used where the API server supports them: client-go enables them by default
// since v0.35, so start-up does not hold a full paginated list in memory.
// It also resolves Services to their EndpointSlices for the TLS prober, and
// converts the Helm, Gateway API, KEDA and cert-manager objects it watches.
//
// A source: it never imports a collector, and analysis packages never import it.
package kube
