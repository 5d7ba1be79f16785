package tlsprobe

import (
	"context"
	"crypto/tls"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
)

// Real TLS servers on loopback, one per SNI name, exact values each: valid
// through an intermediate that expires first, expiring in 2 days, expired,
// a certificate for another host, and the ingress controller's
// self-signed default for names it has no certificate for.
func TestProbeServedCertificates(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ca := testcerts.NewCA(t, "test root")
	inter := ca.Intermediate(t, "test intermediate", now.Add(30*24*time.Hour))
	valid := inter.Leaf(t, now.Add(90*24*time.Hour), "valid.example")
	soon := ca.Leaf(t, now.Add(48*time.Hour), "soon.example")
	expired := ca.Leaf(t, now.Add(-time.Hour), "expired.example")
	other := ca.Leaf(t, now.Add(90*24*time.Hour), "other.example")
	fake := testcerts.SelfSigned(t, "Kubernetes Ingress Controller Fake Certificate", now.Add(365*24*time.Hour), "ingress.local")
	byName := map[string]testcerts.Cert{"valid.example": valid, "soon.example": soon, "expired.example": expired, "wrong.example": other}
	cfg := &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, ok := byName[h.ServerName]
		if !ok {
			c = fake
		}
		tc := c.TLS()
		return &tc, nil
	}}
	addr := testcerts.Serve(t, func(c net.Conn) {
		defer c.Close()
		tc := tls.Server(c, cfg)
		_ = tc.Handshake()
	})
	opts := Options{Timeout: 5 * time.Second, Roots: ca.Pool()}
	for _, tt := range []struct {
		host                              string
		leaf, earliest                    time.Time
		covers, selfSigned, def, verified bool
		verifyError                       string
	}{
		{"valid.example", valid.Cert.NotAfter, inter.Cert.Cert.NotAfter, true, false, false, true, ""},
		{"soon.example", soon.Cert.NotAfter, soon.Cert.NotAfter, true, false, false, true, ""},
		{"expired.example", expired.Cert.NotAfter, expired.Cert.NotAfter, true, false, false, false, "certificate has expired"},
		{"wrong.example", other.Cert.NotAfter, other.Cert.NotAfter, false, false, false, false, "certificate is valid for other.example, not wrong.example"},
		{"unknown.example", fake.Cert.NotAfter, fake.Cert.NotAfter, false, true, true, false, "certificate is valid for ingress.local, not unknown.example"},
	} {
		r := Probe(context.Background(), Target{Address: addr, ServerName: tt.host}, opts)
		if r.Reason != "" {
			t.Errorf("%s: failed: %s %v", tt.host, r.Reason, r.Err)
			continue
		}
		if !r.LeafNotAfter.Equal(tt.leaf) || !r.EarliestNotAfter.Equal(tt.earliest) || r.CoversHost != tt.covers ||
			r.SelfSigned != tt.selfSigned || r.ControllerDefault != tt.def || r.Verified != tt.verified || !strings.Contains(r.VerifyError, tt.verifyError) {
			t.Errorf("%s: leaf %v earliest %v covers %v self-signed %v default %v verified %v (%s)", tt.host,
				r.LeafNotAfter, r.EarliestNotAfter, r.CoversHost, r.SelfSigned, r.ControllerDefault, r.Verified, r.VerifyError)
		}
	}
}

// Hostile and broken endpoints: each fails with its reason, within the
// deadline, reading at most the cap; the probes of the others are not
// affected (they run concurrently here).
func TestProbeFailures(t *testing.T) {
	t.Parallel()
	h := testcerts.ServeHostile(t)
	hang, huge, plain, reset := h.Hang, h.Huge, h.Plain, h.Reset
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	opts := Options{Timeout: 500 * time.Millisecond, MaxBytes: 64 << 10}
	cases := map[string]string{hang: ReasonTimeout, huge: ReasonChainTooLarge, plain: ReasonNotTLS, reset: ReasonReset, closed: ReasonRefused, "127.0.0.1:99999": ReasonUnreachable}
	type got struct {
		addr string
		r    certs.Handshake
		d    time.Duration
	}
	results := make(chan got, len(cases))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for addr := range cases {
		go func() {
			start := time.Now()
			results <- got{addr, Probe(context.Background(), Target{Address: addr, ServerName: "x.example"}, opts), time.Since(start)}
		}()
	}
	for range cases {
		g := <-results
		if g.r.Reason != cases[g.addr] {
			t.Errorf("%s: reason %q (%v), want %q", g.addr, g.r.Reason, g.r.Err, cases[g.addr])
		}
		if g.d > 2*opts.Timeout {
			t.Errorf("%s: took %v, deadline %v", g.addr, g.d, opts.Timeout)
		}
	}
	runtime.ReadMemStats(&after)
	// Six probes, one of them fed 10 MiB: the cap keeps what is read (and
	// allocated) to a small multiple of 64 KiB each.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("probes allocated %d bytes; the cap is %d per probe", alloc, opts.MaxBytes)
	}
}
