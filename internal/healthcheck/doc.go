// Package healthcheck checks workloads' probes and builds the graph of
// which workloads' health checks depend on which, from three sources:
// probe specs (httpGet.host, exec commands naming a Service), a declared
// annotation, and the health responses the fetcher read. Pure: the
// snapshot and the fetched responses in, the analysis out.
//
// Analysis: it never imports client-go, the network, a source or a collector (internal/healthfetch reads the endpoints).
package healthcheck
