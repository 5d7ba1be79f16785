package collector

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// fakeIssued hands out fixed cert-manager Certificates.
type fakeIssued []certs.Issued

func (f fakeIssued) Certificates() ([]certs.Issued, error) { return f, nil }
func (f fakeIssued) Version() uint64                       { return 1 }

// BenchmarkCertificatesScrape: one scrape of the certificates collector
// over 1,000 Ingress TLS hosts, each probed at one address, whose
// analysis must run again (the probes changed), without cert-manager and
// with a Certificate per host's Secret (issued vs served).
func BenchmarkCertificatesScrape(b *testing.B) {
	snap := &cluster.Snapshot{}
	results := map[certs.Endpoint]certs.Probed{}
	var issued fakeIssued
	notAfter := time.Now().Add(30 * 24 * time.Hour)
	for i := range 1000 {
		name, host := fmt.Sprintf("web-%d", i), fmt.Sprintf("h%d.example", i)
		ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
			Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: name + "-tls"}}}}
		ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: fmt.Sprintf("127.0.%d.%d", i/250, i%250+1)}}
		snap.Ingresses = append(snap.Ingresses, ing)
		ep := certs.Endpoint{Kind: certs.KindIngress, Namespace: "shop", Name: name, Host: host, Address: ing.Status.LoadBalancer.Ingress[0].IP + ":443"}
		results[ep] = certs.Probed{Handshake: certs.Handshake{LeafNotAfter: notAfter, EarliestNotAfter: notAfter, CoversHost: true, Verified: true}}
		issued = append(issued, certs.Issued{Namespace: "shop", Name: name, Secret: name + "-tls", NotAfter: notAfter.Add(24 * time.Hour), Ready: new(true)})
	}
	for _, withCertManager := range []bool{false, true} {
		b.Run(fmt.Sprintf("cert-manager=%t", withCertManager), func(b *testing.B) {
			src := &fakeCerts{results: results, rounds: 1}
			deps := Deps{Logger: discard(), Cluster: &benchSource{s: snap}, Certs: src}
			if withCertManager {
				deps.CertManager = issued
			}
			s, err := NewSet([]*Spec{&certificatesSpec}, deps, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			var out bytes.Buffer
			if err := s.Expose(&out, false); err != nil {
				b.Fatal(err)
			}
			if n := strings.Count(out.String(), "kube_reliability_certificate_expiry_timestamp_seconds{"); n != 1000 {
				b.Fatalf("%d hosts exported, want 1000", n)
			}
			b.ReportAllocs()
			for b.Loop() {
				src.version++ // new probes: the collector runs again
				if err := s.Expose(io.Discard, false); err != nil {
					b.Fatal(err)
				}
			}

		})
	}
}
