package tlsprobe

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testheap"
)

// tlsHostile are the ways a TLS endpoint can misbehave, from raw TCP, with
// the reason a probe of it must end with.
var tlsHostile = []struct {
	name, reason string
	handle       func(c net.Conn)
}{
	// Never answers the ClientHello; ends when the prober gives up.
	{"hang", ReasonTimeout, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 64<<10))
		_, _ = c.Read(make([]byte, 1))
	}},
	// A handshake record announced whole, then a byte every 50 ms.
	{"trickle", ReasonTimeout, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 64<<10))
		if _, err := c.Write([]byte{0x16, 0x03, 0x03, 0x40, 0x00}); err != nil {
			return
		}
		for range 400 {
			time.Sleep(50 * time.Millisecond)
			if _, err := c.Write([]byte{0}); err != nil {
				return
			}
		}
	}},
	// 10 MiB of handshake records opening a Certificate message.
	{"huge", ReasonChainTooLarge, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 64<<10))
		testcerts.WriteHugeChain(c)
	}},
	{"plain", ReasonNotTLS, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 64<<10))
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	}},
	{"reset", ReasonReset, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 64<<10))
		_ = c.(*net.TCPConn).SetLinger(0)
	}},
}

// TestThousandHostileTLSEndpoints (issue 16): 1,000 TLS endpoints, each on
// its own loopback address, five in six hostile in one of the known ways
// and one in six serving its own certificate, probed for three rounds.
// Each round ends within Config.RoundBound, each probe with its reason,
// every good endpoint's certificate is exact, the heap peak during a round
// stays within the probes' cap and nothing piles up from round to round.
func TestThousandHostileTLSEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand listeners, three rounds")
	}
	const n, rounds = 1000, 3
	ca := testcerts.NewCA(t, "root")
	want := map[certs.Endpoint]string{}
	notAfter := map[certs.Endpoint]time.Time{}
	var eps []certs.Endpoint
	now := time.Now().Truncate(time.Second)
	for i := range n {
		ip := fmt.Sprintf("127.2.%d.%d", i/200, 1+i%200)
		ep := certs.Endpoint{Kind: certs.KindIngress, Namespace: "shop", Name: fmt.Sprintf("ing-%d", i), Host: "shop.example"}
		kind := i % (len(tlsHostile) + 1)
		if kind == len(tlsHostile) {
			na := now.Add(time.Duration(i+1) * time.Hour)
			ep.Address = testcerts.ServeTLS(t, net.JoinHostPort(ip, "0"), ca.Leaf(t, na, "shop.example"))
			notAfter[ep] = na
		} else {
			h := tlsHostile[kind]
			ep.Address = testcerts.ServeOn(t, ip, func(c net.Conn) {
				defer c.Close()
				h.handle(c)
			})
			want[ep] = h.reason
		}
		eps = append(eps, ep)
	}
	// The default timeout (2 s): a shorter one turns a busy CI machine's
	// slow handshakes into timeouts.
	cfg := Config{Timeout: 2 * time.Second, MaxBytes: 64 << 10, Concurrency: 128, PerSecond: 2000, Roots: ca.Pool()}
	p := NewProber(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	bound := cfg.RoundBound(n)
	// A probe holds at most MaxBytes of what the server sent, the TLS
	// client's record buffers and the parsed chain.
	peakBound := uint64(cfg.Concurrency) * (4*uint64(cfg.MaxBytes) + 128<<10)

	measured := testheap.Run(t, rounds, bound, func() { p.ProbeAll(context.Background(), eps) })

	r := p.Results()
	if len(r) != n {
		t.Fatalf("%d results, want %d", len(r), n)
	}
	wrong := 0
	for ep, got := range r {
		if na, good := notAfter[ep]; good {
			if got.Reason != "" || !got.LeafNotAfter.Equal(na) || !got.Verified || !got.CoversHost {
				t.Errorf("%s: %+v, want its certificate (not after %v), verified", ep.Address, got.Handshake, na)
			}
			continue
		}
		if got.Reason != want[ep] {
			if wrong++; wrong <= 10 {
				t.Errorf("%s: reason %q, want %q", ep.Address, got.Reason, want[ep])
			}
		}
	}
	expected := map[string]uint64{}
	for _, reason := range want {
		expected[reason] += rounds
	}
	if failures := p.Failures(); !reflect.DeepEqual(failures, expected) {
		t.Errorf("failures %v, want %v", failures, expected)
	}
	measured.Check(t, peakBound)
	t.Logf("%d TLS endpoints (%d good), %d rounds (bound %v each, heap peak bound %d MiB): %v",
		n, len(notAfter), rounds, bound, peakBound>>20, measured)
}
