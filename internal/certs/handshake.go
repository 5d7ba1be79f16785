package certs

import (
	"crypto/x509"
	"time"
)

// Handshake is what one TLS handshake with an endpoint showed
// (internal/tlsprobe makes them).
type Handshake struct {
	// Reason is "" when the handshake succeeded and a certificate came.
	Reason string
	// Err is the error behind Reason, for the log.
	Err error

	LeafNotAfter time.Time
	// EarliestNotAfter is the soonest expiry of any certificate presented.
	EarliestNotAfter time.Time
	// CoversHost: the leaf's SANs cover ServerName.
	CoversHost bool
	// SelfSigned: the leaf signed itself.
	SelfSigned bool
	// ControllerDefault: the leaf is an ingress controller's built-in
	// default certificate (served when the host's Secret is missing).
	ControllerDefault bool
	// Verified: the chain verifies against the roots for ServerName;
	// VerifyError says why not.
	Verified    bool
	VerifyError string
	// Chain is the presented certificates, leaf first.
	Chain []*x509.Certificate
}

// Probed is the last probe of one endpoint, without the chain (only what
// the metrics read is kept: thousands of endpoints, each a few KiB of
// certificates, would otherwise stay in memory).
type Probed struct {
	Handshake
	At time.Time
}
