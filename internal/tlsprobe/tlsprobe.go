package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
)

// Reasons a probe fails, the closed set its metrics use.
const (
	ReasonTimeout       = "timeout"         // no handshake within the deadline
	ReasonRefused       = "refused"         // nothing listens
	ReasonReset         = "reset"           // the server closed or reset the connection mid-handshake
	ReasonNotTLS        = "not_tls"         // the server does not speak TLS (plain HTTP, say)
	ReasonChainTooLarge = "chain_too_large" // the server sent more than the cap
	ReasonUnreachable   = "unreachable"     // no route, DNS failure, address invalid
	ReasonHandshake     = "handshake"       // a TLS alert or protocol error
	ReasonNoCertificate = "no_certificate"  // a handshake without a certificate
)

// Reasons lists them all, for metrics that export every reason.
var Reasons = []string{ReasonTimeout, ReasonRefused, ReasonReset, ReasonNotTLS, ReasonChainTooLarge, ReasonUnreachable, ReasonHandshake, ReasonNoCertificate}

// Target is one endpoint: the address dialled and the name sent as SNI and
// checked against the certificate.
type Target struct {
	Address    string // host:port, an IP (never resolved by a name the exporter made up)
	ServerName string
}

// Options bound one probe.
type Options struct {
	Timeout time.Duration
	// MaxBytes caps what the server may send before the handshake ends
	// (the certificate chain, mostly); 0 means DefaultMaxBytes.
	MaxBytes int64
	// Roots verifies the chain; nil means the system's roots.
	Roots *x509.CertPool
	// Now is the clock for verification; nil means time.Now.
	Now func() time.Time
}

// DefaultMaxBytes is far above any real chain (a few KiB) and far below
// anything that could hurt.
const DefaultMaxBytes = 256 << 10

// Probe runs one handshake.
func Probe(ctx context.Context, t Target, o Options) certs.Handshake {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", t.Address)
	if err != nil {
		return failed(classify(err, false), err)
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	capped := &cappedConn{Conn: raw, left: o.MaxBytes}
	var chain []*x509.Certificate
	conn := tls.Client(capped, &tls.Config{
		ServerName: t.ServerName,
		// Verification is done below, and reported rather than
		// required: an expired or wrong certificate is what we measure.
		InsecureSkipVerify: true, //nolint:gosec // see above
		VerifyConnection: func(cs tls.ConnectionState) error {
			chain = cs.PeerCertificates
			return nil
		},
	})
	err = conn.HandshakeContext(ctx)
	if err != nil {
		return failed(classify(err, capped.exceeded), err)
	}
	_ = conn.Close()
	if len(chain) == 0 {
		return failed(ReasonNoCertificate, errors.New("no certificate presented"))
	}
	return inspect(chain, t.ServerName, o.Roots, now())
}

func failed(reason string, err error) certs.Handshake {
	return certs.Handshake{Reason: reason, Err: err}
}

// inspect reads the presented chain.
func inspect(chain []*x509.Certificate, host string, roots *x509.CertPool, now time.Time) certs.Handshake {
	leaf := chain[0]
	r := certs.Handshake{Chain: chain, LeafNotAfter: leaf.NotAfter, EarliestNotAfter: leaf.NotAfter}
	for _, c := range chain[1:] {
		if c.NotAfter.Before(r.EarliestNotAfter) {
			r.EarliestNotAfter = c.NotAfter
		}
	}
	r.CoversHost = leaf.VerifyHostname(host) == nil
	// Signed by its own key (CheckSignatureFrom would also demand that it
	// be a CA, which a controller's default certificate is not).
	r.SelfSigned = leaf.Subject.String() == leaf.Issuer.String() &&
		leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil
	r.ControllerDefault = isControllerDefault(leaf)
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now}); err != nil {
		r.VerifyError = err.Error()
	} else {
		r.Verified = true
	}
	return r
}

// Ingress controllers' built-in certificates, by subject: ingress-nginx
// ("Kubernetes Ingress Controller Fake Certificate", O=Acme Co) and
// Traefik ("TRAEFIK DEFAULT CERT").
func isControllerDefault(c *x509.Certificate) bool {
	switch c.Subject.CommonName {
	case "Kubernetes Ingress Controller Fake Certificate", "TRAEFIK DEFAULT CERT":
		return true
	}
	return false
}

// classify maps a dial or handshake error to a reason.
func classify(err error, exceeded bool) string {
	var rh tls.RecordHeaderError
	var ne net.Error
	switch {
	case exceeded:
		return ReasonChainTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return ReasonReset
	case errors.As(err, &rh):
		return ReasonNotTLS
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), isDNS(err), isAddr(err):
		return ReasonUnreachable
	}
	return ReasonHandshake
}

func isDNS(err error) bool {
	var d *net.DNSError
	return errors.As(err, &d)
}

func isAddr(err error) bool {
	var a *net.AddrError
	return errors.As(err, &a)
}

// errCapped ends a read past the cap.
var errCapped = errors.New("server sent more than the probe's cap")

// cappedConn fails reads once the server has sent MaxBytes.
type cappedConn struct {
	net.Conn
	left     int64
	exceeded bool
}

func (c *cappedConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.exceeded = true
		return 0, errCapped
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}
