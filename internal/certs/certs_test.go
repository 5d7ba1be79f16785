package certs

import (
	"context"
	"io"
	"log/slog"
	"net"
	"reflect"
	"runtime"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

func ingress(name string, lb []networkingv1.IngressLoadBalancerIngress, tls ...networkingv1.IngressTLS) *networkingv1.Ingress {
	return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Spec:   networkingv1.IngressSpec{TLS: tls},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: lb}}}
}

// Every TLS host at every IP of the Ingress's status; hosts that cannot
// be probed are listed with why, never dropped.
func TestDiscover(t *testing.T) {
	t.Parallel()
	ips := []networkingv1.IngressLoadBalancerIngress{{IP: "127.0.0.10"}, {IP: "127.0.0.11"}}
	s := &cluster.Snapshot{Ingresses: []*networkingv1.Ingress{
		ingress("web", ips, networkingv1.IngressTLS{Hosts: []string{"shop.example", "*.shop.example"}, SecretName: "web-tls"},
			networkingv1.IngressTLS{SecretName: "default"}),
		ingress("pending", nil, networkingv1.IngressTLS{Hosts: []string{"new.example"}}),
		ingress("aws", []networkingv1.IngressLoadBalancerIngress{{Hostname: "lb-1.elb.example"}}, networkingv1.IngressTLS{Hosts: []string{"api.example"}}),
		ingress("plain", ips), // no TLS
	}}
	d := Discover(s)
	want := Discovery{
		Endpoints: []Endpoint{
			{KindIngress, "shop", "web", "shop.example", "127.0.0.10:443", ""},
			{KindIngress, "shop", "web", "shop.example", "127.0.0.11:443", ""},
		},
		Skipped: []Skipped{
			{KindIngress, "shop", "aws", "api.example", SkippedDNSAddress},
			{KindIngress, "shop", "pending", "new.example", SkippedNoAddress},
			{KindIngress, "shop", "web", "", SkippedNoHosts},
			{KindIngress, "shop", "web", "*.shop.example", SkippedWildcard},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got\n%+v\nwant\n%+v", d, want)
	}
}

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
	good := Endpoint{KindIngress, "shop", "web", "shop.example", addr, ""}
	bad := Endpoint{KindIngress, "shop", "old", "old.example", closedAddr, ""}
	p.ProbeAll(context.Background(), []Endpoint{good, bad})
	r := p.Results()
	if g := r[good]; g.Reason != "" || !g.LeafNotAfter.Equal(leaf.Cert.NotAfter) || !g.Verified || !g.CoversHost || g.Chain != nil {
		t.Errorf("good: %+v", g)
	}
	if b := r[bad]; b.Reason != tlsprobe.ReasonRefused {
		t.Errorf("bad: reason %q, want refused", b.Reason)
	}
	if f := p.Failures(); f[tlsprobe.ReasonRefused] != 1 {
		t.Errorf("failures %v", f)
	}
	v := p.Version()
	p.ProbeAll(context.Background(), []Endpoint{good})
	if r := p.Results(); len(r) != 1 || p.Version() == v {
		t.Errorf("after bad was dropped: %d results, version %d (was %d)", len(r), p.Version(), v)
	}
}

// Gateway listeners: the hostname at each IP of the Gateway's status, on
// the listener's port; a listener without hostname, a wildcard, a Gateway
// known only by DNS name or without address are skipped with why.
func TestGateways(t *testing.T) {
	t.Parallel()
	d := Gateways([]gateway.TLSListener{
		{Namespace: "edge", Gateway: "public", Listener: "https", Hostname: "shop.example", Port: 8443, Addresses: []string{"127.0.0.20", "not-an-ip"}},
		{Namespace: "edge", Gateway: "public", Listener: "any", Port: 443, Addresses: []string{"127.0.0.20"}},
		{Namespace: "edge", Gateway: "public", Listener: "wild", Hostname: "*.shop.example", Port: 443, Addresses: []string{"127.0.0.20"}},
		{Namespace: "edge", Gateway: "cloud", Listener: "https", Hostname: "api.example", Port: 443, HostnameAddresses: []string{"lb.example"}},
		{Namespace: "edge", Gateway: "new", Listener: "https", Hostname: "new.example", Port: 443},
	})
	want := Discovery{
		Endpoints: []Endpoint{{KindGateway, "edge", "public", "shop.example", "127.0.0.20:8443", ""}},
		Skipped: []Skipped{
			{KindGateway, "edge", "cloud", "api.example", SkippedDNSAddress},
			{KindGateway, "edge", "new", "new.example", SkippedNoAddress},
			{KindGateway, "edge", "public", "", SkippedNoHosts},
			{KindGateway, "edge", "public", "*.shop.example", SkippedWildcard},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got\n%+v\nwant\n%+v", d, want)
	}
}

// Which Secret each host is served from: an Ingress's TLS entries (the
// first naming a host wins, as controllers do), a Gateway listener's
// first certificate reference; BySecret keeps the later issuance of two
// Certificates writing one Secret.
func TestSecrets(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Ingresses: []*networkingv1.Ingress{
		ingress("web", nil, networkingv1.IngressTLS{Hosts: []string{"a.example", "b.example"}, SecretName: "web-tls"},
			networkingv1.IngressTLS{Hosts: []string{"b.example"}, SecretName: "other-tls"},
			networkingv1.IngressTLS{Hosts: []string{"c.example"}}),
	}}
	got := Secrets(s, []gateway.TLSListener{
		{Namespace: "edge", Gateway: "public", Hostname: "a.example", Secret: "certs/a-tls"},
		{Namespace: "edge", Gateway: "public", Hostname: "", Secret: "certs/any-tls"},
		{Namespace: "edge", Gateway: "public", Hostname: "d.example"},
	})
	want := map[ObjectHost]SecretRef{
		{KindIngress, "shop", "web", "a.example"}:    {"shop", "web-tls"},
		{KindIngress, "shop", "web", "b.example"}:    {"shop", "web-tls"},
		{KindGateway, "edge", "public", "a.example"}: {"certs", "a-tls"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	early, late := time.Now(), time.Now().Add(time.Hour)
	by := BySecret([]Issued{{Namespace: "shop", Name: "x", Secret: "web-tls", NotAfter: late}, {Namespace: "shop", Name: "y", Secret: "web-tls", NotAfter: early}})
	if len(by) != 1 || by[SecretRef{"shop", "web-tls"}].Name != "x" {
		t.Errorf("BySecret: %+v", by)
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
	ep := func(name, addr string) Endpoint {
		return Endpoint{Kind: KindIngress, Namespace: "shop", Name: name, Host: "shop.example", Address: addr}
	}
	eps := []Endpoint{ep("hang", h.Hang), ep("huge", h.Huge), ep("plain", h.Plain), ep("reset", h.Reset), ep("good", good)}
	p := NewProber(Config{Timeout: 500 * time.Millisecond, MaxBytes: 64 << 10, Concurrency: 2, PerSecond: 100, Roots: ca.Pool()},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p.Probe(context.Background(), Discovery{Endpoints: eps})
	runtime.ReadMemStats(&after)
	want := map[string]uint64{tlsprobe.ReasonTimeout: 1, tlsprobe.ReasonChainTooLarge: 1, tlsprobe.ReasonNotTLS: 1, tlsprobe.ReasonReset: 1}
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
