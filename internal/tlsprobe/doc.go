// Package tlsprobe reads what a TLS endpoint serves: one handshake, no
// HTTP request, no client certificate, SNI set to the host. It records the
// certificates presented — the leaf's expiry, the earliest expiry in the
// chain, whether the leaf covers the host, whether it is self-signed or an
// ingress controller's default — and, when the handshake fails, why, from
// a closed set of reasons. Everything it reads is bounded: the handshake
// by a deadline, the bytes the server may send by a cap, so a hostile
// endpoint costs a timeout and a few kilobytes, never the exporter.
//
// Prober runs the handshakes in rounds over the endpoints internal/certs
// discovers, rate-limited and bounded, and keeps the last of each.
//
// A source: it imports internal/certs only for the endpoints it is given
// and the Handshake it reports, and never imports a collector.
package tlsprobe
