// Package alerts holds the Prometheus alerting rules shipped with the
// exporter (*.rules.yml), their promtool unit tests (tests/), and the code
// that renders them as a Prometheus Operator PrometheusRule.
package alerts
