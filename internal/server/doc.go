// Package server serves the exporter over HTTP: /metrics from a private
// registry, /healthz (the process answers: never a dependency check, the
// seed's restart-loop lesson applies to us too), /readyz (the sources are
// synced) and a landing page, with TLS and basic auth from a Prometheus
// exporter-toolkit web config file.
package server
