package tlsprobe

import (
	"context"
	"io"
	"log/slog"
	"net"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
)

// The prober against real TLS servers on loopback: a valid certificate,
// nothing listening; an endpoint no longer listed is forgotten.
func TestProber(t *testing.T) {
	t.Parallel()
	ca := testcerts.NewCA(t, "root")
	leaf := ca.Leaf(t, time.Now().Add(72*time.Hour), "shop.example")
	addr := testcerts.ServeTLS(t, "127.0.0.1:0", leaf)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	p := NewProber(Config{Timeout: 2 * time.Second, Concurrency: 2, PerSecond: 100, Roots: ca.Pool()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	good := certs.Endpoint{Kind: certs.KindIngress, Namespace: "shop", Name: "web", Host: "shop.example", Address: addr}
	bad := certs.Endpoint{Kind: certs.KindIngress, Namespace: "shop", Name: "old", Host: "old.example", Address: closedAddr}
	p.ProbeAll(context.Background(), []certs.Endpoint{good, bad})
	r := p.Results()
	if g := r[good]; g.Reason != "" || !g.LeafNotAfter.Equal(leaf.Cert.NotAfter) || !g.Verified || !g.CoversHost || g.Chain != nil {
		t.Errorf("good: %+v", g)
	}
	if b := r[bad]; b.Reason != ReasonRefused {
		t.Errorf("bad: reason %q, want refused", b.Reason)
	}
	if f := p.Failures(); f[ReasonRefused] != 1 {
		t.Errorf("failures %v", f)
	}
	v := p.Version()
	p.ProbeAll(context.Background(), []certs.Endpoint{good})
	if r := p.Results(); len(r) != 1 || p.Version() == v {
		t.Errorf("after bad was dropped: %d results, version %d (was %d)", len(r), p.Version(), v)
	}
}

// The prober among hostile endpoints — one that never answers, one that
// sends a 10 MiB chain, one that speaks HTTP, one that resets — with a
// good one: each hostile one is counted once with its reason, the good
// one's values are exact, and the round reads within the cap.
func TestProberHostile(t *testing.T) {
	t.Parallel()
	ca := testcerts.NewCA(t, "root")
	leaf := ca.Leaf(t, time.Now().Add(72*time.Hour).Truncate(time.Second), "shop.example")
	good := testcerts.ServeTLS(t, "127.0.0.1:0", leaf)
	h := testcerts.ServeHostile(t)
	ep := func(name, addr string) certs.Endpoint {
		return certs.Endpoint{Kind: certs.KindIngress, Namespace: "shop", Name: name, Host: "shop.example", Address: addr}
	}
	eps := []certs.Endpoint{ep("hang", h.Hang), ep("huge", h.Huge), ep("plain", h.Plain), ep("reset", h.Reset), ep("good", good)}
	p := NewProber(Config{Timeout: 500 * time.Millisecond, MaxBytes: 64 << 10, Concurrency: 2, PerSecond: 100, Roots: ca.Pool()},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p.Probe(context.Background(), certs.Discovery{Endpoints: eps})
	runtime.ReadMemStats(&after)
	want := map[string]uint64{ReasonTimeout: 1, ReasonChainTooLarge: 1, ReasonNotTLS: 1, ReasonReset: 1}
	if f := p.Failures(); !reflect.DeepEqual(f, want) {
		t.Errorf("failures %v, want %v", f, want)
	}
	r := p.Results()
	if g := r[ep("good", good)]; g.Reason != "" || !g.LeafNotAfter.Equal(leaf.Cert.NotAfter) || !g.Verified || !g.CoversHost {
		t.Errorf("good endpoint among hostile ones: %+v", g)
	}
	if len(r) != 5 || p.Rounds() != 1 {
		t.Errorf("%d results after %d rounds, want 5 after 1", len(r), p.Rounds())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("a round allocated %d bytes with a 10 MiB chain offered; the cap is 64 KiB per probe", alloc)
	}
}
