// Package alerts holds the Prometheus alerting rules shipped with the
// exporter (*.rules.yml), their promtool unit tests (tests/), and the code
// that renders them as a Prometheus Operator PrometheusRule.
//
// It never imports client-go or a collector (its tests read the collectors' metric specs to check every rule).
package alerts
