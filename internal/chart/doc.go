// Package chart renders a Helm chart directory as helm template does,
// with the Helm SDK (values schema checked, no cluster contacted): the
// deploy tests render the exporter's own chart with it, and audit reads
// a chart directory through it.
//
// It renders only: it never installs, and never talks to a cluster.
package chart
