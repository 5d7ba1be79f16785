package collector_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

// TestControlPlaneCertificatesLive: what the control plane's TLS servers
// serve, found through the real API server as the shipped role sees it —
// never a ClusterIP (the Services are headless, so not even the
// aggregator dials one):
//   - a Fail webhook at a URL on 127.0.15.1 whose caBundle (an
//     intermediate) expires in 5 days and whose leaf in 4;
//   - a webhook behind a Service whose serving certificate was re-issued by
//     another CA while its caBundle still names the old one: served, not
//     verified (the API server refuses every call);
//   - an aggregated API behind a Service with one ready and one unready
//     endpoint (the unready one, where nothing listens, is not dialled);
//   - the API server itself at the URL the exporter's kubeconfig names
//     (in a pod: the addresses its EndpointSlice publishes, below), its
//     serving certificate read from the file it wrote;
//   - a webhook whose Service does not exist and one at a URL by DNS name:
//     counted, not probed.
func TestControlPlaneCertificatesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()
	now := time.Now()
	root := testcerts.NewCA(t, "webhook root")
	soonCA := root.Intermediate(t, "webhook ca", now.Add(5*24*time.Hour).Truncate(time.Second))
	rotated := testcerts.NewCA(t, "rotated root")
	pemOf := func(c testcerts.Cert) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
	}

	port := func(addr string) int {
		_, p, _ := net.SplitHostPort(addr)
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	urlLeaf := soonCA.Leaf(t, now.Add(4*24*time.Hour).Truncate(time.Second), "127.0.15.1")
	urlPort := port(testcerts.ServeTLS(t, "127.0.15.1:0", urlLeaf))
	policyLeaf := rotated.Leaf(t, now.Add(60*24*time.Hour).Truncate(time.Second), "webhook.policy.svc")
	policyPort := port(testcerts.ServeTLS(t, "127.0.15.2:0", policyLeaf))
	metricsLeaf := root.Leaf(t, now.Add(30*24*time.Hour).Truncate(time.Second), "metrics-server.kube-system.svc")
	metricsPort := port(testcerts.ServeTLS(t, "127.0.15.3:0", metricsLeaf))

	// Headless Services (no ClusterIP anywhere) selecting pods that report
	// loopback addresses. The webhook's pods belong to a Deployment whose
	// template names the target port; the aggregated API's are bare, one
	// not ready (nothing listens at its address: it must not be dialled).
	service := func(ns, name string, target intstr.IntOrString) {
		env.EnsureNamespace(ns)
		if _, err := env.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": name},
				Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: target}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	service("policy", "webhook", intstr.FromString("webhook-tls"))
	dep := env.CreateDeployment("policy", "webhook", 1, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "webhook-tls", ContainerPort: int32(policyPort)}}
	})
	rs := env.CreateReplicaSet("policy", "webhook-1", 1, dep, nil)
	env.CreatePod(testenv.PodSpec{Namespace: "policy", Name: "webhook-1-a", OwnerKind: "ReplicaSet", Owner: &rs.ObjectMeta,
		Labels: map[string]string{"app": "webhook"}, Ready: true, PodIP: "127.0.15.2"})
	service("kube-system", "metrics-server", intstr.FromInt(metricsPort))
	env.CreatePod(testenv.PodSpec{Namespace: "kube-system", Name: "metrics-server-a", Labels: map[string]string{"app": "metrics-server"}, Ready: true, PodIP: "127.0.15.3"})
	env.CreatePod(testenv.PodSpec{Namespace: "kube-system", Name: "metrics-server-b", Labels: map[string]string{"app": "metrics-server"}, Ready: false, PodIP: "127.0.15.4"})

	fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
	hook := func(name string, cc admissionregistrationv1.WebhookClientConfig) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{Name: name, FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"}, ClientConfig: cc,
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}}}}}
	}
	webhookConfig := func(name string, hooks ...admissionregistrationv1.ValidatingWebhook) {
		if _, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: name}, Webhooks: hooks}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	urlHook := fmt.Sprintf("https://127.0.15.1:%d/validate", urlPort)
	dnsHook := "https://hooks.example/validate"
	webhookConfig("direct", hook("url.direct.example", admissionregistrationv1.WebhookClientConfig{URL: &urlHook, CABundle: pemOf(soonCA.Cert)}),
		hook("dns.direct.example", admissionregistrationv1.WebhookClientConfig{URL: &dnsHook, CABundle: pemOf(soonCA.Cert)}))
	webhookConfig("policy", hook("a.policy.example", admissionregistrationv1.WebhookClientConfig{
		Service: &admissionregistrationv1.ServiceReference{Namespace: "policy", Name: "webhook"}, CABundle: pemOf(root.Cert)}),
		hook("b.policy.example", admissionregistrationv1.WebhookClientConfig{
			Service: &admissionregistrationv1.ServiceReference{Namespace: "policy", Name: "webhook"}, CABundle: pemOf(root.Cert)}))
	webhookConfig("mesh", hook("inject.mesh.example", admissionregistrationv1.WebhookClientConfig{
		Service: &admissionregistrationv1.ServiceReference{Namespace: "mesh", Name: "injector", Port: ptr.To[int32](8443)}, CABundle: pemOf(root.Cert)}))
	admin := dynamic.NewForConfigOrDie(env.Config)
	if _, err := admin.Resource(kube.APIServiceGVR).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": map[string]any{"name": "v1beta1.metrics.example.com"},
		"spec": map[string]any{"group": "metrics.example.com", "version": "v1beta1", "groupPriorityMinimum": int64(100), "versionPriority": int64(100),
			"service": map[string]any{"namespace": "kube-system", "name": "metrics-server"}, "caBundle": pemOf(root.Cert)},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The API server's serving certificate, as it wrote it, and the CA
	// its clients trust (the same file).
	caPEM, err := os.ReadFile(env.Config.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(caPEM)
	apiCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inf := liveInformers(t, client, logger)
	sa := env.ServiceAccountConfig("kube-reliability", "exporter")
	as := kube.NewAPIServiceWatcher(discovery.NewDiscoveryClientForConfigOrDie(sa), dynamic.NewForConfigOrDie(sa), 200*time.Millisecond, logger)
	asCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go as.Run(asCtx)
	prober := tlsprobe.NewProber(tlsprobe.Config{Timeout: 3 * time.Second, Concurrency: 4, PerSecond: 100}, logger)
	reg := registry(t, collector.Deps{Logger: logger, Cluster: inf, Status: inf, Certs: prober, APIServices: as}, "certificates")

	// Discovery through the watch path and the shipped role's EndpointSlice
	// reads: 4 endpoints (the URL, the policy Service once for its two
	// webhooks, the aggregated API's ready address, the API server).
	var d certs.Discovery
	testenv.Eventually(t, 20*time.Second, func() error {
		snap, err := inf.Snapshot()
		if err != nil {
			return err
		}
		apis, err := as.APIServices()
		if err != nil {
			return err
		}
		var errs map[certs.ServiceRef]error
		d, errs = certs.ControlPlane(ctx, certs.Targets(certs.Webhooks(snap), apis, certs.APIServer(false, env.URL, caPEM)), kube.NewServiceEndpoints(client, snap))
		if len(errs) > 0 {
			return fmt.Errorf("resolve: %v", errs)
		}
		if len(d.Endpoints) != 4 || len(d.Skipped) != 2 {
			return fmt.Errorf("%d endpoints, %d skipped, want 4 and 2: %+v", len(d.Endpoints), len(d.Skipped), d)
		}
		return nil
	})
	prober.Probe(ctx, d)

	series := func(name, kind, ns, obj, host string) string {
		return fmt.Sprintf(`kube_reliability_certificate_%s{host=%q,kind=%q,name=%q,namespace=%q}`, name, host, kind, obj, ns)
	}
	const vwc = certs.KindValidating
	want := map[string]float64{
		`kube_reliability_certificate_hosts_not_probed{reason="no_endpoints"}`:  1,
		`kube_reliability_certificate_hosts_not_probed{reason="dns_address"}`:   1,
		`kube_reliability_certificate_hosts_not_probed{reason="resolve_error"}`: 0,
		// The URL webhook: the leaf expires before its CA.
		series("expiry_timestamp_seconds", vwc, "", "direct", "127.0.15.1"):       float64(urlLeaf.Cert.NotAfter.Unix()),
		series("chain_expiry_timestamp_seconds", vwc, "", "direct", "127.0.15.1"): float64(urlLeaf.Cert.NotAfter.Unix()),
		series("covers_host", vwc, "", "direct", "127.0.15.1"):                    1,
		series("verified", vwc, "", "direct", "127.0.15.1"):                       1,
		// Re-issued by another CA: served, covers, but the bundle refuses it.
		series("expiry_timestamp_seconds", vwc, "", "policy", "webhook.policy.svc"):                                           float64(policyLeaf.Cert.NotAfter.Unix()),
		series("covers_host", vwc, "", "policy", "webhook.policy.svc"):                                                        1,
		series("verified", vwc, "", "policy", "webhook.policy.svc"):                                                           0,
		series("expiry_timestamp_seconds", "APIService", "", "v1beta1.metrics.example.com", "metrics-server.kube-system.svc"): float64(metricsLeaf.Cert.NotAfter.Unix()),
		series("verified", "APIService", "", "v1beta1.metrics.example.com", "metrics-server.kube-system.svc"):                 1,
		// The API server, verified with the CA its clients use.
		series("expiry_timestamp_seconds", "APIServer", "default", "kubernetes", "127.0.0.1"): float64(apiCert.NotAfter.Unix()),
		series("covers_host", "APIServer", "default", "kubernetes", "127.0.0.1"):              1,
		series("verified", "APIServer", "default", "kubernetes", "127.0.0.1"):                 1,
		series("self_signed", "APIServer", "default", "kubernetes", "127.0.0.1"):              0,
		// Nothing failed: the unready address was never dialled.
		`kube_reliability_certificate_probe_failures_total{reason="refused"}`: 0,
	}
	if err := expectation(t, reg, want)(); err != nil {
		t.Error(err)
	}
}

// TestServiceEndpointsLive: a Service without selector (the API server's
// own default/kubernetes is one) resolves through its EndpointSlices as
// the shipped role lists them: the ready addresses on the slice port named
// like the Service port. The API server refuses loopback addresses in
// EndpointSlices, so these are documentation addresses (192.0.2.0/24):
// resolved, never dialled.
func TestServiceEndpointsLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()
	env.EnsureNamespace("legacy")
	if _, err := env.Client.CoreV1().Services("legacy").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hook"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Name: "https", Port: 443}, {Name: "metrics", Port: 9090}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ready := func(ip string, ok bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ok}}
	}
	for i, eps := range [][]discoveryv1.Endpoint{{ready("192.0.2.11", true), ready("192.0.2.12", false)}, {ready("192.0.2.10", true)}} {
		if _, err := env.Client.DiscoveryV1().EndpointSlices("legacy").Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: fmt.Sprintf("hook-%d", i), Labels: map[string]string{discoveryv1.LabelServiceName: "hook"}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: eps,
			Ports: []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](8443)}, {Name: ptr.To("metrics"), Port: ptr.To[int32](9090)}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	inf := liveInformers(t, client, slog.New(slog.NewTextHandler(io.Discard, nil)))
	want := []string{"192.0.2.10:8443", "192.0.2.11:8443"}
	testenv.Eventually(t, 15*time.Second, func() error {
		snap, err := inf.Snapshot()
		if err != nil {
			return err
		}
		r := kube.NewServiceEndpoints(client, snap)
		got, err := r.Resolve(ctx, certs.ServiceRef{Namespace: "legacy", Name: "hook", Port: 443})
		if err != nil || !slices.Equal(got, want) {
			return fmt.Errorf("resolved %v (%v), want %v", got, err, want)
		}
		if got, err := r.Resolve(ctx, certs.ServiceRef{Namespace: "legacy", Name: "hook", Port: 8080}); err != nil || len(got) != 0 {
			return fmt.Errorf("a port the Service lacks resolved to %v (%v)", got, err)
		}
		return nil
	})
}
