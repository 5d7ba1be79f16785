package chain

import (
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"
)

// serveHTTP serves h on a loopback port until the test ends and returns
// its address (a webhook receiver behind Alertmanager, say).
func serveHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// serveTLS completes TLS handshakes at addr, a loopback address on port
// 443 as an Ingress's status names it (root needed, as for the nginx
// tests), with cfg's certificates until the test ends. Nothing is served
// after the handshake: the exporter's probes send no request.
func serveTLS(t *testing.T, addr string, cfg *tls.Config) {
	t.Helper()
	tl, err := tls.Listen("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("serve TLS on %s (needs root, as the nginx tests): %v", addr, err)
	}
	t.Cleanup(func() { tl.Close() })
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = c.(*tls.Conn).Handshake() }()
		}
	}()
}
