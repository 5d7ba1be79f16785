package testcerts

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
)

// Serve runs handle for every connection to a loopback listener until the
// test ends and returns its address.
func Serve(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	return ServeOn(t, "127.0.0.1", handle)
}

// ServeOn is Serve on a port of ip (a loopback address: a test's pod).
func ServeOn(t testing.TB, ip string, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return l.Addr().String()
}

// Hostile TLS endpoints, each on its own loopback address.
type Hostile struct {
	// Hang accepts and never answers the ClientHello (until the test ends).
	Hang string
	// Huge sends 10 MiB of handshake records, opening a Certificate
	// message as long as Go's client accepts (64 KiB): it keeps reading.
	Huge string
	// Plain speaks HTTP.
	Plain string
	// Reset reads the ClientHello and resets the connection.
	Reset string
}

// WriteHugeChain writes 10 MiB of TLS handshake records to c, opening a
// Certificate message as long as Go's client accepts (64 KiB), or until a
// write fails.
func WriteHugeChain(c net.Conn) {
	rec := make([]byte, 5+16384)
	rec[0], rec[1], rec[2], rec[3], rec[4] = 0x16, 0x03, 0x03, 0x40, 0x00
	first := append([]byte(nil), rec...)
	first[5], first[6], first[7], first[8] = 0x0b, 0x01, 0x00, 0x00
	if _, err := c.Write(first); err != nil {
		return
	}
	for range 639 {
		if _, err := c.Write(rec); err != nil {
			return
		}
	}
}

// ServeHostile starts the hostile endpoints.
func ServeHostile(t testing.TB) Hostile {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return Hostile{
		Hang: Serve(t, func(c net.Conn) {
			defer c.Close()
			<-done // until the test ends
		}),
		Huge: Serve(t, func(c net.Conn) {
			defer c.Close()
			WriteHugeChain(c)
		}),
		Plain: Serve(t, func(c net.Conn) {
			defer c.Close()
			buf := make([]byte, 512)
			_, _ = c.Read(buf)
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		}),
		Reset: Serve(t, func(c net.Conn) {
			buf := make([]byte, 512)
			_, _ = c.Read(buf)
			_ = c.(*net.TCPConn).SetLinger(0)
			_ = c.Close()
		}),
	}
}

// ServeTLS serves c on addr (host:0 for any port): every connection
// completes a handshake and closes. It returns the address.
func ServeTLS(t testing.TB, addr string, c Cert) string {
	t.Helper()
	l, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{c.TLS()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer conn.Close(); _ = conn.(*tls.Conn).Handshake() }()
		}
	}()
	return l.Addr().String()
}
