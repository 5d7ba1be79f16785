package collector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

// TestCertManagerLive: issued vs served. A real nginx on 127.0.16.1:443
// serves shop.example for an Ingress; the exporter starts before
// cert-manager exists. Then cert-manager's CRD (from its Go module) is
// installed mid-test and a Certificate for the Ingress's Secret reports
// the certificate nginx serves (not stale, Ready); it is renewed while
// nginx keeps the old one (stale, issued expiry the new one); nginx
// reloads the new one (not stale). A Certificate whose issuance fails is
// not Ready. The Secret is never read: the shipped role cannot.
func TestCertManagerLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and nginx")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()
	now := time.Now()
	ca := testcerts.NewCA(t, "shop root")
	old := ca.Leaf(t, now.Add(20*24*time.Hour).Truncate(time.Second), "shop.example")
	renewed := ca.Leaf(t, now.Add(80*24*time.Hour).Truncate(time.Second), "shop.example")
	dir := t.TempDir()
	certFile, keyFile := old.WriteFiles(t, dir, "shop")
	const ip = "127.0.16.1"
	nginx := testenv.StartNginx(t, testenv.NginxSpec{TLS: []testenv.NginxTLS{{IP: ip, ServerName: "shop.example", CertFile: certFile, KeyFile: keyFile}}})

	env.EnsureNamespace("shop")
	ing, err := env.Client.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: []string{"shop.example"}, SecretName: "shop-tls"}},
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: ip}}
	if _, err := env.Client.NetworkingV1().Ingresses("shop").UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inf := liveInformers(t, client, logger)
	sa := env.ServiceAccountConfig("kube-reliability", "exporter")
	cm := kube.NewCertManagerWatcher(discovery.NewDiscoveryClientForConfigOrDie(sa), dynamic.NewForConfigOrDie(sa), 200*time.Millisecond, logger)
	cmCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go cm.Run(cmCtx)
	prober := tlsprobe.NewProber(tlsprobe.Config{Timeout: 3 * time.Second, Concurrency: 2, PerSecond: 100, Roots: ca.Pool()}, logger)
	reg := registry(t, collector.Deps{Logger: logger, Cluster: inf, Status: inf, Certs: prober, CertManager: cm}, "certificates")
	probe := func() error {
		snap, err := inf.Snapshot()
		if err != nil {
			return err
		}
		d := certs.Discover(snap)
		if len(d.Endpoints) != 1 {
			return fmt.Errorf("%d endpoints, want 1", len(d.Endpoints))
		}
		prober.Probe(ctx, d)
		return nil
	}
	series := func(name string) string {
		return fmt.Sprintf(`kube_reliability_certificate_%s{host="shop.example",kind="Ingress",name="web",namespace="shop"}`, name)
	}
	check := func(want map[string]float64) {
		t.Helper()
		testenv.Eventually(t, 20*time.Second, func() error {
			if err := probe(); err != nil {
				return err
			}
			return expectation(t, reg, want)()
		})
	}
	// Without cert-manager: served, nothing issued known.
	check(map[string]float64{
		series("expiry_timestamp_seconds"):        float64(old.Cert.NotAfter.Unix()),
		series("issued_expiry_timestamp_seconds"): -1,
		series("stale_after_renewal"):             -1,
	})

	env.InstallCertManagerCertificateCRD()
	admin := dynamic.NewForConfigOrDie(env.Config).Resource(kube.CertManagerCertificateGVR).Namespace("shop")
	issue := func(name, secret string, notAfter time.Time, ready, reason string) {
		t.Helper()
		c, err := admin.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			c, err = admin.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": map[string]any{"name": name, "namespace": "shop"},
				"spec": map[string]any{"secretName": secret, "dnsNames": []any{"shop.example"}, "issuerRef": map[string]any{"name": "shop-ca", "kind": "Issuer"}},
			}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
		}
		status := map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": ready, "reason": reason, "message": reason,
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}}
		if !notAfter.IsZero() {
			status["notAfter"] = notAfter.UTC().Format(time.RFC3339)
		}
		c.Object["status"] = status
		if _, err := admin.UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// cert-manager issued what nginx serves.
	issue("shop", "shop-tls", old.Cert.NotAfter, "True", "Ready")
	issue("broken", "broken-tls", time.Time{}, "False", "Failed")
	check(map[string]float64{
		series("issued_expiry_timestamp_seconds"):                                               float64(old.Cert.NotAfter.Unix()),
		series("stale_after_renewal"):                                                           0,
		`kube_reliability_certmanager_certificate_ready{certificate="shop",namespace="shop"}`:   1,
		`kube_reliability_certmanager_certificate_ready{certificate="broken",namespace="shop"}`: 0,
	})
	// Renewed; nginx has not reloaded.
	issue("shop", "shop-tls", renewed.Cert.NotAfter, "True", "Ready")
	check(map[string]float64{
		series("expiry_timestamp_seconds"):        float64(old.Cert.NotAfter.Unix()),
		series("issued_expiry_timestamp_seconds"): float64(renewed.Cert.NotAfter.Unix()),
		series("stale_after_renewal"):             1,
	})
	// nginx reloads the Secret's new content.
	newCert, newKey := renewed.WriteFiles(t, t.TempDir(), "shop")
	for src, dst := range map[string]string{newCert: certFile, newKey: keyFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(nginx.PID, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	check(map[string]float64{
		series("expiry_timestamp_seconds"):        float64(renewed.Cert.NotAfter.Unix()),
		series("issued_expiry_timestamp_seconds"): float64(renewed.Cert.NotAfter.Unix()),
		series("stale_after_renewal"):             0,
	})
}
