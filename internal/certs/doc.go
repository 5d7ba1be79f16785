// Package certs finds the TLS endpoints a cluster's objects name and
// judges what each one served (Assess: expiring, wrong host, a
// controller's default, stale after a renewal); internal/tlsprobe makes
// the handshakes, in the background and bounded like the health fetcher,
// and reports each as a Handshake.
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
// It also reads the CA bundles admission webhooks and aggregated APIs
// carry (bundles.go): the public certificates, held in the configuration
// objects rather than Secrets, that a webhook's serving certificate must
// chain to. A bundle that expires breaks every call to the webhook, and
// with failurePolicy Fail every write it matches is refused.
//
// Analysis: it never imports client-go, the network, a source or a
// collector.
package certs
