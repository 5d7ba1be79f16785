package collector

import (
	"slices"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

// fakeCerts hands out fixed probe results.
type fakeCerts struct {
	results map[certs.Endpoint]certs.Probed
	rounds  uint64
	version uint64
}

func (f *fakeCerts) Results() map[certs.Endpoint]certs.Probed { return f.results }
func (f *fakeCerts) Failures() map[string]uint64              { return nil }
func (f *fakeCerts) Version() uint64                          { return f.version }
func (f *fakeCerts) Rounds() uint64                           { return f.rounds }
func (f *fakeCerts) Discovered() certs.Discovery              { return certs.Discovery{} }

// no-certificate-expiring folds every certificate the exporter sees:
// probed endpoints (a cluster-scoped webhook named without namespace) and
// etcd members' served certificates; unknown until etcd was polled.
func TestCertificateHypothesisFoldsEtcd(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	soon, later := now.Add(5*24*time.Hour), now.Add(60*24*time.Hour)
	src := &fakeCerts{rounds: 1, results: map[certs.Endpoint]certs.Probed{
		{Kind: "ValidatingWebhookConfiguration", Name: "policy", Host: "webhook.policy.svc", Address: "127.0.0.2:443"}: {Handshake: certs.Handshake{LeafNotAfter: soon}},
		{Kind: "Ingress", Namespace: "shop", Name: "web", Host: "shop.example", Address: "127.0.0.3:443"}:              {Handshake: certs.Handshake{LeafNotAfter: later}},
		{Kind: "Ingress", Namespace: "shop", Name: "web", Host: "gone.example", Address: "127.0.0.4:443"}:              {Handshake: certs.Handshake{Reason: tlsprobe.ReasonRefused}},
	}}
	members := []etcd.MemberStatus{
		{Member: etcd.Member{Name: "etcd-0"}, Up: true, CertNotAfter: soon},
		{Member: etcd.Member{Name: "etcd-1"}, Up: true, CertNotAfter: later},
		{Member: etcd.Member{Name: "etcd-2"}, Up: false},
	}
	get := func(e EtcdSource) Answer {
		a, ok := newHypotheses(Deps{Cluster: cluster.Static{S: &cluster.Snapshot{}}, Certs: src, Etcd: e, Now: func() time.Time { return now }}).Get("no-certificate-expiring")
		if !ok {
			t.Fatal("no-certificate-expiring is not listed")
		}
		return a
	}
	a := get(fakeEtcd{polled: true, st: members})
	want := []string{
		"ValidatingWebhookConfiguration policy webhook.policy.svc: expires 2026-11-30T00:00:00Z",
		"etcd member etcd-0: expires 2026-11-30T00:00:00Z",
	}
	if a.Holds == nil || *a.Holds || !slices.Equal(a.Evidence, want) {
		t.Errorf("got %+v, want not holding with %q", a, want)
	}
	if a := get(fakeEtcd{}); a.Holds != nil {
		t.Errorf("etcd not polled yet: %+v, want unknown", a)
	}
}
