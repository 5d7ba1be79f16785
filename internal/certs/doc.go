// Package certs finds the TLS endpoints a cluster's objects name and
// probes what each one serves (internal/tlsprobe), in the background and
// bounded like the health fetcher.
//
// Discovery reads objects only, never a Secret: an Ingress's TLS hosts are
// served at the addresses in its status.loadBalancer, a Gateway's HTTPS
// and TLS listeners at the addresses in its status; admission webhooks,
// aggregated APIs and the API server at their URL or at the ready
// addresses of their Service's EndpointSlices. Only IP addresses
// are dialled: a load balancer known by a DNS name is reported as such and
// not resolved (the exporter dials what the objects say, nothing it had to
// look up). Wildcard hosts name no host to send as SNI and are left out.
//
// It never imports client-go; its prober (prober.go) is the one part that reaches the network, through internal/tlsprobe, and is to move out of it (issue 26).
package certs
