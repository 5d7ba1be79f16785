// Package chain tests the exporter as its users run it: installed by the
// Helm chart, central running with the chart's ServiceAccount against a
// real API server, the agent beside a real nginx, Debian's Prometheus
// scraping them and loading the chart's rules, Alertmanager delivering
// the alerts to a webhook, every dashboard query answered. Everything
// listens on loopback.
//
// Tests only: never imported by another package.
package chain
