package collector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

// TestCertificatesLive: a real nginx on 127.0.14.1:443 serves several
// hosts by SNI with certificates the test makes — valid, expiring in 2
// days, expired, another host's, and ingress-nginx's self-signed default
// for names it has no certificate for — and Ingresses on the real API
// server point at it through status.loadBalancer. Exact values for each,
// read from the handshakes; a host whose address refuses connections is a
// probe error; hosts that cannot be probed are counted by reason.
func TestCertificatesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and nginx")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()

	now := time.Now()
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "test root")
	inter := ca.Intermediate(t, "test intermediate", now.Add(30*24*time.Hour).Truncate(time.Second))
	certs_ := map[string]testcerts.Cert{
		"valid.example":   inter.Leaf(t, now.Add(90*24*time.Hour).Truncate(time.Second), "valid.example"),
		"soon.example":    ca.Leaf(t, now.Add(48*time.Hour).Truncate(time.Second), "soon.example"),
		"expired.example": ca.Leaf(t, now.Add(-time.Hour).Truncate(time.Second), "expired.example"),
		"wrong.example":   ca.Leaf(t, now.Add(90*24*time.Hour).Truncate(time.Second), "other.example"),
	}
	fake := testcerts.SelfSigned(t, "Kubernetes Ingress Controller Fake Certificate", now.Add(365*24*time.Hour).Truncate(time.Second), "ingress.local")
	const ip = "127.0.14.1"
	var servers []testenv.NginxTLS
	for host, c := range certs_ {
		cf, kf := c.WriteFiles(t, dir, host)
		servers = append(servers, testenv.NginxTLS{IP: ip, ServerName: host, CertFile: cf, KeyFile: kf})
	}
	cf, kf := fake.WriteFiles(t, dir, "default")
	servers = append(servers, testenv.NginxTLS{IP: ip, CertFile: cf, KeyFile: kf})
	testenv.StartNginx(t, testenv.NginxSpec{TLS: servers})

	mkIngress := func(name string, lbIP string, hosts ...string) {
		ing, err := env.Client.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: hosts, SecretName: name + "-tls"}},
				DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if lbIP == "" {
			return
		}
		ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: lbIP}}
		if _, err := env.Client.NetworkingV1().Ingresses("shop").UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	env.EnsureNamespace("shop")
	mkIngress("web", ip, "valid.example", "soon.example", "*.wild.example")
	mkIngress("old", ip, "expired.example")
	mkIngress("typo", ip, "wrong.example")
	mkIngress("nosecret", ip, "missing.example")
	mkIngress("gone", "127.0.14.2", "gone.example") // nothing listens there
	mkIngress("pending", "", "new.example")         // no address yet

	// A Gateway with an HTTPS listener for valid.example at the same nginx.
	admin := dynamic.NewForConfigOrDie(env.Config)
	installGatewayCRD(t, admin, "gatewayclasses", "GatewayClass", false)
	installGatewayCRD(t, admin, "gateways", "Gateway", true)
	installGatewayCRD(t, admin, "httproutes", "HTTPRoute", true)
	env.EnsureNamespace("edge")
	testenv.Eventually(t, 30*time.Second, func() error {
		_, err := admin.Resource(schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}).Namespace("edge").Create(ctx,
			&unstructured.Unstructured{Object: map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
				"metadata": map[string]any{"name": "public", "namespace": "edge"},
				"spec": map[string]any{"gatewayClassName": "nginx", "listeners": []any{
					map[string]any{"name": "https", "hostname": "valid.example", "port": int64(443), "protocol": "HTTPS"},
					map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP"},
				}},
				"status": map[string]any{"addresses": []any{map[string]any{"type": "IPAddress", "value": ip}}},
			}}, metav1.CreateOptions{})
		return err // the CRD may take a moment to be served
	})

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inf := liveInformers(t, client, logger)
	sa := env.ServiceAccountConfig("kube-reliability", "exporter")
	gw := kube.NewGatewayWatcher(discovery.NewDiscoveryClientForConfigOrDie(sa), dynamic.NewForConfigOrDie(sa), 200*time.Millisecond, logger)
	gwCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go gw.Run(gwCtx)
	prober := tlsprobe.NewProber(tlsprobe.Config{Timeout: 3 * time.Second, Concurrency: 4, PerSecond: 100, Roots: ca.Pool()}, logger)
	deps := collector.Deps{Logger: logger, Cluster: inf, Status: inf, Certs: prober, Gateway: gw}
	reg := registry(t, deps, "certificates")

	key := func(name, ing, host string) string {
		return fmt.Sprintf(`kube_reliability_certificate_%s{host=%q,kind="Ingress",name=%q,namespace="shop"}`, name, host, ing)
	}
	want := map[string]float64{
		`kube_reliability_certificate_hosts_not_probed{reason="wildcard"}`:                                                           1,
		`kube_reliability_certificate_hosts_not_probed{reason="no_address"}`:                                                         1,
		`kube_reliability_certificate_hosts_not_probed{reason="dns_address"}`:                                                        0,
		`kube_reliability_certificate_probe_error{host="gone.example",kind="Ingress",name="gone",namespace="shop",reason="refused"}`: 1,
		`kube_reliability_certificate_probe_failures_total{reason="refused"}`:                                                        1,
		key("expiry_timestamp_seconds", "gone", "gone.example"):                                                                      -1,
		// Through the intermediate, which expires first.
		key("expiry_timestamp_seconds", "web", "valid.example"):        float64(certs_["valid.example"].Cert.NotAfter.Unix()),
		key("chain_expiry_timestamp_seconds", "web", "valid.example"):  float64(inter.Cert.Cert.NotAfter.Unix()),
		key("covers_host", "web", "valid.example"):                     1,
		key("verified", "web", "valid.example"):                        1,
		key("self_signed", "web", "valid.example"):                     0,
		key("controller_default", "web", "valid.example"):              0,
		key("expiry_timestamp_seconds", "web", "soon.example"):         float64(certs_["soon.example"].Cert.NotAfter.Unix()),
		key("verified", "web", "soon.example"):                         1,
		key("expiry_timestamp_seconds", "old", "expired.example"):      float64(certs_["expired.example"].Cert.NotAfter.Unix()),
		key("verified", "old", "expired.example"):                      0,
		key("covers_host", "old", "expired.example"):                   1,
		key("covers_host", "typo", "wrong.example"):                    0,
		key("verified", "typo", "wrong.example"):                       0,
		key("expiry_timestamp_seconds", "nosecret", "missing.example"): float64(fake.Cert.NotAfter.Unix()),
		key("controller_default", "nosecret", "missing.example"):       1,
		key("self_signed", "nosecret", "missing.example"):              1,
		key("covers_host", "nosecret", "missing.example"):              0,
		// The Gateway's HTTPS listener, at the address in its status.
		`kube_reliability_certificate_expiry_timestamp_seconds{host="valid.example",kind="Gateway",name="public",namespace="edge"}`: float64(certs_["valid.example"].Cert.NotAfter.Unix()),
		`kube_reliability_certificate_verified{host="valid.example",kind="Gateway",name="public",namespace="edge"}`:                 1,
	}
	// Discovery through the watch path (the statuses come after the
	// objects), then one round of handshakes.
	var d certs.Discovery
	testenv.Eventually(t, 20*time.Second, func() error {
		snap, err := inf.Snapshot()
		if err != nil {
			return err
		}
		o, err := gw.Objects()
		if err != nil {
			return err
		}
		if d = certs.Discover(snap).Merge(certs.Gateways(o.TLSListeners)); len(d.Endpoints) != 7 {
			return fmt.Errorf("%d endpoints discovered, want 7: %+v", len(d.Endpoints), d.Endpoints)
		}
		return nil
	})
	set, err := collector.NewSet([]*collector.Spec{mustSpec(t, "hypotheses")}, deps, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := set.Hypotheses().Get("no-certificate-expiring"); a.Holds != nil || !strings.Contains(a.Reason, "first round of TLS probes") {
		t.Errorf("before any probe: %+v, want unknown", a)
	}
	prober.ProbeAll(ctx, d.Endpoints)
	if err := expectation(t, reg, want)(); err != nil {
		t.Error(err)
	}
	// The built-in hypothesis names the two hosts within 14 days.
	a, _ := set.Hypotheses().Get("no-certificate-expiring")
	wantEvidence := []string{
		"Ingress shop/old expired.example: expires " + certs_["expired.example"].Cert.NotAfter.UTC().Format(time.RFC3339),
		"Ingress shop/web soon.example: expires " + certs_["soon.example"].Cert.NotAfter.UTC().Format(time.RFC3339),
	}
	if a.Holds == nil || *a.Holds || *a.Observed != 2 || !slices.Equal(a.Evidence, wantEvidence) {
		t.Errorf("no-certificate-expiring: %+v, want not holding with %v", a, wantEvidence)
	}
}
