// Package collector turns analysis results into Prometheus metrics.
//
// Collectors are declared as data: a Spec names the collector, the modes it
// runs in, whether it is on by default, every metric family it may emit
// (MetricSpec: name, type, labels, help, cardinality bound) and a
// constructor. All of them are listed in one table, All (registry.go), from
// which configuration selects (Select), docs/metrics.md is generated
// (MarkdownReference), and tests check the documentation.
//
// A Set is the prometheus.Collector registered on the exporter's private
// registry. On every scrape it runs the selected collectors concurrently,
// each under its own deadline, and emits for each one
// kube_reliability_scrape_collector_duration_seconds and
// kube_reliability_scrape_collector_success. A collector writes through an
// Emitter, which only accepts the families its Spec declares and buffers
// them: a collector that fails or times out contributes no series at all
// (unknown is not zero) and costs one success=0 series, never the scrape.
package collector
