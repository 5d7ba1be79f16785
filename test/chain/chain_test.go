package chain

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// webhookReceiver records what Alertmanager delivers.
type webhookReceiver struct {
	mu     sync.Mutex
	alerts map[string]delivered // by alertname
}

type delivered struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Status      string            `json:"status"`
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var msg struct {
		Alerts []delivered `json:"alerts"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&msg); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range msg.Alerts {
		w.alerts[a.Labels["alertname"]] = a
	}
}

func (w *webhookReceiver) get(name string) (delivered, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a, ok := w.alerts[name]
	return a, ok
}

// rulesWithoutWaiting is the chart's PrometheusRule groups as a rule
// file, every for: dropped: when each alert fires is promtool's to test
// (alerts/tests); here, that it reaches on-call.
func rulesWithoutWaiting(t *testing.T) string {
	t.Helper()
	// As helm install renders it on a cluster with prometheus-operator's
	// PrometheusRule kind.
	out, err := chart.Render(chartDir, chart.Release{Name: "kre", Namespace: namespace, APIVersions: []string{"monitoring.coreos.com/v1/PrometheusRule"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Spec struct {
			Groups []map[string]any `json:"groups"`
		} `json:"spec"`
	}
	monitoring := out[filepath.Join(chartDir, "templates", "monitoring.yaml")]
	at := strings.Index(monitoring, "kind: PrometheusRule")
	if at < 0 {
		t.Fatalf("no PrometheusRule rendered:\n%s", monitoring)
	}
	if err := yaml.Unmarshal([]byte(monitoring[at-len("apiVersion: monitoring.coreos.com/v1\n"):]), &rule); err != nil {
		t.Fatal(err)
	}
	if len(rule.Spec.Groups) < 8 {
		t.Fatalf("%d rule groups rendered", len(rule.Spec.Groups))
	}
	for _, g := range rule.Spec.Groups {
		g["interval"] = "1s"
		for _, r := range g["rules"].([]any) {
			delete(r.(map[string]any), "for")
		}
	}
	b, err := yaml.Marshal(map[string]any{"groups": rule.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runbookAnchors are the section anchors of docs/runbooks.md, as GitHub
// makes them.
func runbookAnchors(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../docs/runbooks.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for l := range strings.Lines(string(b)) {
		if h, ok := strings.CutPrefix(l, "## "); ok {
			a := strings.ToLower(strings.TrimSpace(h))
			a = regexp.MustCompile(`[^a-z0-9 -]`).ReplaceAllString(a, "")
			out[strings.ReplaceAll(a, " ", "-")] = true
		}
	}
	return out
}

// TestAlertsReachOnCall: the whole chain. A real API server holds a
// cluster with one problem per rule file; central runs with the chart's
// ServiceAccount (Helm history role on) and polls two etcd members, one of
// which is gone; an agent runs beside a real nginx that is reloaded;
// Debian's Prometheus scrapes both with the relabeling of the chart's
// ServiceMonitor and PodMonitor and a cluster external label, loads the
// chart's rules and sends to Debian's Alertmanager, which delivers to a
// webhook the test runs. Each chosen alert arrives with its labels, a
// rendered summary and a runbook_url naming a section of
// docs/runbooks.md; the expositions pass promtool check metrics.
func TestAlertsReachOnCall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver, Prometheus, Alertmanager and nginx")
	}
	etcd := testenv.StartEtcd(t, 0)
	env := testenv.StartOn(t, etcd)
	installChartRBAC(t, env, map[string]any{"rbac": map[string]any{"helmHistory": true}})
	ctx := context.Background()

	// placement, disruption, health, resources: three replicas of web on
	// one node, no PDB, no probes, a namespace without quota.
	env.CreateNode(testenv.NodeSpec{Name: "node-a", Zone: "zone-a"})
	env.CreateNode(testenv.NodeSpec{Name: "node-b", Zone: "zone-b"})
	d := env.CreateDeployment("shop", "web", 3, nil)
	// The shop's team, as RELIABILITY_OWNER_LABELS reads it by default.
	if _, err := env.Client.CoreV1().Namespaces().Patch(ctx, "shop", types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"storefront"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	rs := env.CreateReplicaSet("shop", "web-1", 3, d, nil)
	env.PodsOn("shop", "web-1", "ReplicaSet", &rs.ObjectMeta, map[string]string{"app": "web"}, "node-a", "node-a", "node-a")
	// ingress: an Ingress on ingress-nginx, retired.
	if _, err := env.Client.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx"},
		Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	class := "nginx"
	if _, err := env.Client.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "storefront"},
		Spec: networkingv1.IngressSpec{IngressClassName: &class, DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// certificates: a Fail webhook whose CA bundle expires in 5 days.
	ca := testcerts.NewCA(t, "root").Intermediate(t, "webhook ca", time.Now().Add(5*24*time.Hour).Truncate(time.Second))
	bundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Cert.Raw})
	fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
	hookURL := "https://127.0.0.1:9/validate" // never called: it matches nothing
	if _, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "strict.policy.example", FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &hookURL, CABundle: bundle},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}}}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// helm: twelve revisions of one release kept.
	for v := 1; v <= 12; v++ {
		if _, err := env.Client.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.shop.v%d", v),
				Labels: map[string]string{"owner": "helm", "name": "shop", "version": fmt.Sprint(v), "status": "superseded"}},
			Type: "helm.sh/release.v1"}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// etcd: the API server's member, one that is gone, one serving TLS
	// and Debian's 3.4 (end of life: a known issue).
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := closed.Addr().String()
	closed.Close()
	root := testcerts.NewCA(t, "chain root")
	dir := t.TempDir()
	etcdCert, etcdKey := root.Leaf(t, time.Now().Add(200*24*time.Hour), "127.0.0.1").WriteFiles(t, dir, "etcd")
	rootFile := dir + "/root.pem"
	if err := os.WriteFile(rootFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Cert.Cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	secure := testenv.StartEtcdTLS(t, etcdCert, etcdKey)
	old := testenv.StartEtcdMixed(t, []testenv.EtcdMemberSpec{{Binary: "/usr/bin/etcd"}})

	// More for the dashboards: a PDB that blocks every drain, health
	// checks in a cycle (one liveness probe on the other's Service), and
	// TLS hosts: served at 127.0.17.1:443 — one fine, one for another
	// name, one answered by the controller's default — renewed by
	// cert-manager without a reload, a Certificate not Ready, a webhook
	// whose bundle refuses what it serves, an aggregated API's bundle.
	api := env.CreateDeployment("shop", "api", 2, nil)
	apiRS := env.CreateReplicaSet("shop", "api-1", 2, api, nil)
	env.PodsOn("shop", "api-1", "ReplicaSet", &apiRS.ObjectMeta, map[string]string{"app": "api"}, "node-b", "node-b")
	two := intstr.FromInt(2)
	if _, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &two, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, other := range map[string]string{"orders": "billing", "billing": "orders"} {
		if _, err := env.Client.CoreV1().Services("shop").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 8080}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		dep := env.CreateDeployment("shop", name, 1, func(d *appsv1.Deployment) {
			d.Annotations = map[string]string{healthcheck.DependsOnAnnotation: other}
			d.Spec.Template.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Host: other + ".shop.svc", Path: "/health", Port: intstr.FromInt(8080)}}}
		})
		rs := env.CreateReplicaSet("shop", name+"-1", 1, dep, nil)
		env.PodsOn("shop", name+"-1", "ReplicaSet", &rs.ObjectMeta, map[string]string{"app": name}, "node-b")
	}
	now := time.Now().Truncate(time.Second)
	good := root.Leaf(t, now.Add(30*24*time.Hour), "good.example")
	typo := root.Leaf(t, now.Add(90*24*time.Hour), "other.example")
	fake := testcerts.SelfSigned(t, "Kubernetes Ingress Controller Fake Certificate", now.Add(365*24*time.Hour), "ingress.local")
	bySNI := map[string]tls.Certificate{"good.example": good.TLS(), "typo.example": typo.TLS()}
	serveTLS(t, "127.0.17.1:443", &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if c, ok := bySNI[h.ServerName]; ok {
			return &c, nil
		}
		c := fake.TLS()
		return &c, nil
	}})
	ing, err := env.Client.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "secure"},
		Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: []string{"good.example", "typo.example", "missing.example"}, SecretName: "shop-tls"}},
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "127.0.17.1"}}
	if _, err := env.Client.NetworkingV1().Ingresses("shop").UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	env.InstallCertManagerCertificateCRD()
	certsAPI := dynamic.NewForConfigOrDie(env.Config).Resource(schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}).Namespace("shop")
	for name, st := range map[string]map[string]any{
		"shop":   {"notAfter": now.Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339), "conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready", "lastTransitionTime": now.UTC().Format(time.RFC3339)}}},
		"broken": {"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "Failed", "lastTransitionTime": now.UTC().Format(time.RFC3339)}}},
	} {
		c, err := certsAPI.Create(ctx, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
			"metadata": map[string]any{"name": name, "namespace": "shop"},
			"spec":     map[string]any{"secretName": name + "-tls", "dnsNames": []any{"good.example"}, "issuerRef": map[string]any{"name": "ca"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.Object["status"] = st
		if _, err := certsAPI.UpdateStatus(ctx, c, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	otherCA := testcerts.NewCA(t, "rotated")
	untrustedAddr := testcerts.ServeTLS(t, "127.0.17.2:0", otherCA.Leaf(t, now.Add(60*24*time.Hour), "127.0.17.2"))
	untrustedURL := "https://" + untrustedAddr + "/validate"
	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Cert.Cert.Raw})
	if _, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "untrusted"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "rotated.policy.example", FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &untrustedURL, CABundle: rootPEM},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"gadgets"}}}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Its Service does not exist: the aggregator dials nothing.
	if _, err := dynamic.NewForConfigOrDie(env.Config).Resource(schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}).Create(ctx,
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": map[string]any{"name": "v1beta1.metrics.example.com"},
			"spec": map[string]any{"group": "metrics.example.com", "version": "v1beta1", "groupPriorityMinimum": int64(100), "versionPriority": int64(100),
				"service": map[string]any{"namespace": "kube-system", "name": "metrics-server"}, "caBundle": rootPEM}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// versions: an ingress-nginx controller on v1.11.4 (below every 2026
	// CVE floor, retired).
	ctrl := env.CreateDeployment("ingress", "ingress-nginx-controller", 1, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "registry.k8s.io/ingress-nginx/controller:v1.11.4"
	})
	ctrlRS := env.CreateReplicaSet("ingress", "ingress-nginx-controller-1", 1, ctrl, nil)
	env.PodsOn("ingress", "ingress-nginx-controller-1", "ReplicaSet", &ctrlRS.ObjectMeta, ctrl.Spec.Template.Labels, "node-b")
	// Envoy drains: Envoy is no real part here. A stats page in the format
	// Envoy Gateway's proxies serve on /stats/prometheus, its drain counter
	// rising as Envoy's does while a listener's filter chain drains.
	envoy := serveHTTP(t, envoyStats())

	central, centralLog := startExporter(t, "central",
		"RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, account),
		"RELIABILITY_ETCD_ENDPOINTS=main="+etcd.ClientURL+",gone=http://"+gone+",secure="+secure.ClientURL+",old="+old.ClientURLs[0],
		"RELIABILITY_ETCD_CA_FILE="+rootFile,
		"RELIABILITY_ETCD_POLL_INTERVAL=2s", "RELIABILITY_ETCD_TIMEOUT=1s",
		// The shipped example: the hypotheses dashboard's file panel has data.
		"RELIABILITY_HYPOTHESES_FILE=../../examples/hypotheses/hypotheses.yaml")
	// The agent, beside a real nginx reloaded twice under 20 held
	// connections (an endless stream each; worker_shutdown_timeout 3s cuts
	// them: a window of three samples, so that a CI machine busy enough to
	// delay one sample still sees the shutting worker - with 1s it
	// once counted 37 of 40).
	backend, _ := testenv.StreamingBackend(t)
	nginx := testenv.StartNginx(t, testenv.NginxSpec{StubStatus: true, Backend: backend, ShutdownTimeout: "3s"})
	holdCtx, stopHolding := context.WithCancel(ctx)
	drops, held := testenv.HoldClients(holdCtx, nginx.Port, 20)
	t.Cleanup(func() { stopHolding(); held() })
	agent, agentLog := startExporter(t, "agent",
		"RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, "kube-reliability-agent"),
		"RELIABILITY_NODE_NAME=node-a", "RELIABILITY_HOST_PID=self", "RELIABILITY_NGINX_SAMPLE_INTERVAL=100ms",
		fmt.Sprintf("RELIABILITY_NGINX_STUB_STATUS_URLS=http://127.0.0.1:%d/nginx_status", nginx.Port))

	// On-call: a webhook receiver behind Alertmanager.
	recv := &webhookReceiver{alerts: map[string]delivered{}}
	recvAddr := serveHTTP(t, recv)
	am := testenv.StartAlertmanager(t, fmt.Sprintf(`
route:
  receiver: on-call
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: on-call
    webhook_configs:
      - url: http://%s/hook
        send_resolved: false
`, recvAddr))
	hostPort := func(u string) string { return strings.TrimPrefix(u, "http://") }
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
  external_labels: {cluster: test}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: [%q]}]
scrape_configs:
  # As the chart's ServiceMonitor: the series' own namespace is kept.
  - job_name: kube-reliability/kube-reliability-exporter
    honor_labels: true
    static_configs: [{targets: [%q]}]
  - job_name: envoy
    static_configs: [{targets: [%q], labels: {namespace: envoy-gateway-system, pod: envoy-default-eg-5f7}}]
  # As the chart's PodMonitor: node from the pod's node, the agent's own
  # namespace, pod and container dropped.
  - job_name: kube-reliability/kube-reliability-agent
    static_configs: [{targets: [%q], labels: {node: node-a, namespace: kube-reliability, pod: kube-reliability-agent-x}}]
    metric_relabel_configs: []
    relabel_configs:
      - action: labeldrop
        regex: namespace|pod|container
`, hostPort(am.URL), hostPort(central), hostPort(envoy), hostPort(agent)), map[string]string{"rules.yml": rulesWithoutWaiting(t)})

	// Reload nginx once Prometheus has the agent's counters before the
	// reloads (an increase needs the value it grew from).
	testenv.Eventually(t, 30*time.Second, func() error {
		r, err := prom.Query(`kube_reliability_nginx_reload_dropped_connections_total`)
		if err != nil || len(r) == 0 {
			return fmt.Errorf("no dropped-connections counter in Prometheus yet: %v", err)
		}
		return nil
	})
	for range 2 {
		if err := syscall.Kill(nginx.PID, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // past worker_shutdown_timeout: the cuts happen
	}

	// One alert per rule file at least, each as on-call sees it.
	want := map[string]map[string]string{
		"KubeReliabilityWebhookCAExpiring": {"severity": "critical", "configuration": "policy", "webhook": "strict.policy.example"},
		// Configuration debt: once per namespace and rule, the namespace's
		// owner (its team label) joined for routing.
		"KubeReliabilityWorkloadWithoutPDB":          {"severity": "warning", "class": "debt", "namespace": "shop", "rule": "disruption/no-pdb", "owner": "storefront"},
		"KubeReliabilityEtcdMemberDown":              {"severity": "critical", "class": "incident", "member": "gone"},
		"KubeReliabilityContainerWithoutProbe":       {"class": "debt", "namespace": "shop", "owner": "storefront"},
		"KubeReliabilityHelmHistoryTooLong":          {"class": "debt", "namespace": "shop", "owner": "storefront"},
		"KubeReliabilityIngressOnRetiredController":  {"class": "debt", "namespace": "shop", "rule": "ingress/retired-controller", "owner": "storefront"},
		"KubeReliabilityWorkloadSingleNode":          {"class": "debt", "namespace": "shop", "rule": "placement/single-node", "owner": "storefront"},
		"KubeReliabilityNamespaceWithoutQuota":       {"class": "debt", "namespace": "shop", "owner": "storefront"},
		"KubeReliabilityNginxReloadsDropConnections": {"severity": "warning", "node": "node-a"},
		"KubeReliabilityIngressControllerVulnerable": {"severity": "critical", "class": "incident", "namespace": "ingress", "controller": "ingress-nginx", "version": "v1.11.4"},
		"KubeReliabilityEnvoyDrainClosedConnections": {"severity": "warning", "namespace": "envoy-gateway-system", "pod": "envoy-default-eg-5f7"},
	}
	anchors := runbookAnchors(t)
	testenv.Eventually(t, 90*time.Second, func() error {
		var missing []string
		for name := range want {
			if _, ok := recv.get(name); !ok {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			_, body, _ := scrape(agent)
			var nginxLines []string
			for l := range strings.Lines(body) {
				if strings.HasPrefix(l, "kube_reliability_nginx_reload") {
					nginxLines = append(nginxLines, strings.TrimSpace(l))
				}
			}
			return fmt.Errorf("not delivered yet: %v (agent: %v; clients saw %d drops)", missing, nginxLines, drops.Load())
		}
		return nil
	})
	if t.Failed() {
		t.Logf("central log:\n%s\nagent log:\n%s\nprometheus:\n%s\nalertmanager:\n%s", centralLog, agentLog, prom.Log(), am.Log())
	}
	var seen []string
	for name, labels := range want {
		a, _ := recv.get(name)
		seen = append(seen, name)
		for k, v := range labels {
			if a.Labels[k] != v {
				t.Errorf("%s: label %s=%q, want %q (%v)", name, k, a.Labels[k], v, a.Labels)
			}
		}
		if a.Labels["cluster"] != "test" {
			t.Errorf("%s: cluster %q, want the external label test", name, a.Labels["cluster"])
		}
		if s := a.Annotations["summary"]; s == "" || strings.Contains(s, "{{") {
			t.Errorf("%s: summary %q", name, s)
		}
		anchor, ok := strings.CutPrefix(a.Annotations["runbook_url"], "https://github.com/kube-reliability/kube-reliability-exporter/blob/main/docs/runbooks.md#")
		if !ok || !anchors[anchor] {
			t.Errorf("%s: runbook_url %q names no section of docs/runbooks.md", name, a.Annotations["runbook_url"])
		}
	}
	slices.Sort(seen)
	t.Logf("delivered through Alertmanager: %s", strings.Join(seen, ", "))

	// Prometheus holds exactly the cuts the clients saw.
	testenv.Eventually(t, 30*time.Second, func() error {
		r, err := prom.Query(`sum(kube_reliability_nginx_reload_dropped_connections_total)`)
		if err != nil {
			return err
		}
		if saw := drops.Load(); saw == 0 || len(r) != 1 || r[0].Value[1] != fmt.Sprint(saw) {
			return fmt.Errorf("dropped connections in Prometheus %+v, clients saw %d", r, saw)
		}
		return nil
	})
	// The agent saw the reloads; Prometheus has them with the node label.
	testenv.Eventually(t, 30*time.Second, func() error {
		r, err := prom.Query(`sum by (node) (kube_reliability_nginx_reloads_total)`)
		if err != nil {
			return err
		}
		if len(r) != 1 || r[0].Metric["node"] != "node-a" || r[0].Value[1] != "2" {
			return fmt.Errorf("nginx reloads in Prometheus: %+v, want 2 on node-a", r)
		}
		return nil
	})
	// The Krkn profile fails this cluster on its hypotheses (web's three
	// replicas on one node), and the go/no-go says no, naming it.
	testenv.Eventually(t, 30*time.Second, func() error {
		failing := krknFailing(t, prom)
		var broken []string
		for _, s := range failing[krknProfile(t)[0].Expr] {
			broken = append(broken, s.Metric["hypothesis"])
		}
		if !slices.Contains(broken, "no-single-node-workload") {
			return fmt.Errorf("Krkn's hypothesis query returns %v, want no-single-node-workload among them", broken)
		}
		code, notHolding, err := goNoGo(central)
		if err != nil || code != 503 || !slices.Contains(notHolding, "no-single-node-workload") {
			return fmt.Errorf("GET /hypotheses?all = %d, not holding %v (%v); want 503 naming no-single-node-workload", code, notHolding, err)
		}
		return nil
	})
	// Every query of every dashboard panel answers with data from this
	// Prometheus, the variables at All.
	var empty []string
	for _, q := range dashboardQueries(t) {
		r, err := prom.Query(q.expr)
		if err != nil {
			t.Errorf("%s: %v", q.panel, err)
			continue
		}
		if len(r) == 0 {
			empty = append(empty, q.panel+": "+q.expr)
		}
	}
	if len(empty) > 0 {
		t.Errorf("%d dashboard queries return no data:\n%s", len(empty), strings.Join(empty, "\n"))
	}
	// The expositions pass promtool.
	for name, base := range map[string]string{"central": central, "agent": agent} {
		_, body, err := scrape(base)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("promtool", "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics on %s: %v\n%s", name, err, out)
		}
	}
}

type panelQuery struct{ panel, expr string }

// dashboardQueries lists every panel query of grafana/*.json with the
// variables as their All selects.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	files, err := filepath.Glob("../../grafana/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	all := strings.NewReplacer(`"$cluster"`, `".*"`, `"$namespace"`, `".*"`)
	var out []panelQuery
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Title   string `json:"title"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				out = append(out, panelQuery{filepath.Base(f) + " " + p.Title, all.Replace(tg.Expr)})
			}
		}
	}
	return out
}

// envoyStats serves Envoy's drain statistics as /stats/prometheus does,
// 40 more connections closed by draining at every scrape.
func envoyStats() http.Handler {
	var closed atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := closed.Add(40)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, `# TYPE envoy_http_downstream_cx_drain_close counter
envoy_http_downstream_cx_drain_close{envoy_http_conn_manager_prefix="http-10080"} %d
# TYPE envoy_listener_manager_total_filter_chains_draining gauge
envoy_listener_manager_total_filter_chains_draining 1
# TYPE envoy_listener_manager_total_listeners_draining gauge
envoy_listener_manager_total_listeners_draining 0
`, n)
	})
}
