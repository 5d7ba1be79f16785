// Package tlsprobe reads what a TLS endpoint serves: one handshake, no
// HTTP request, no client certificate, SNI set to the host. It records the
// certificates presented — the leaf's expiry, the earliest expiry in the
// chain, whether the leaf covers the host, whether it is self-signed or an
// ingress controller's default — and, when the handshake fails, why, from
// a closed set of reasons. Everything it reads is bounded: the handshake
// by a deadline, the bytes the server may send by a cap, so a hostile
// endpoint costs a timeout and a few kilobytes, never the exporter.
//
// A source: it never imports a collector or an analysis package.
package tlsprobe
