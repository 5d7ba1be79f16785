package chain

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
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
	out, err := chart.Render(chartDir, chart.Release{Name: "kre", Namespace: namespace}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Spec struct {
			Groups []map[string]any `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(out["kube-reliability-exporter/templates/monitoring.yaml"][strings.Index(out["kube-reliability-exporter/templates/monitoring.yaml"], "kind: PrometheusRule")-len("apiVersion: monitoring.coreos.com/v1\n"):]), &rule); err != nil {
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
	installChartRBAC(t, env, map[string]any{"namespace": map[string]any{"create": true}, "rbac": map[string]any{"helmHistory": true}})
	ctx := context.Background()

	// placement, disruption, health, resources: three replicas of web on
	// one node, no PDB, no probes, a namespace without quota.
	env.CreateNode(testenv.NodeSpec{Name: "node-a", Zone: "zone-a"})
	env.CreateNode(testenv.NodeSpec{Name: "node-b", Zone: "zone-b"})
	d := env.CreateDeployment("shop", "web", 3, nil)
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
	// etcd: the API server's member, and one that is gone.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := closed.Addr().String()
	closed.Close()

	central, centralLog := startExporter(t, "central",
		"RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, account),
		"RELIABILITY_ETCD_ENDPOINTS=main="+etcd.ClientURL+",gone=http://"+gone,
		"RELIABILITY_ETCD_POLL_INTERVAL=2s", "RELIABILITY_ETCD_TIMEOUT=1s")
	// The agent, beside a real nginx reloaded twice.
	nginx := testenv.StartNginx(t, testenv.NginxSpec{})
	agent, agentLog := startExporter(t, "agent",
		"RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, "kube-reliability-agent"),
		"RELIABILITY_NODE_NAME=node-a", "RELIABILITY_HOST_PID=self", "RELIABILITY_NGINX_SAMPLE_INTERVAL=100ms")
	for range 2 {
		time.Sleep(500 * time.Millisecond)
		if err := syscall.Kill(nginx.PID, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	// On-call: a webhook receiver behind Alertmanager.
	recv := &webhookReceiver{alerts: map[string]delivered{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
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
`, l.Addr()))
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
  # As the chart's PodMonitor: node from the pod's node, the agent's own
  # namespace, pod and container dropped.
  - job_name: kube-reliability/kube-reliability-agent
    static_configs: [{targets: [%q], labels: {node: node-a, namespace: kube-reliability, pod: kube-reliability-agent-x}}]
    metric_relabel_configs: []
    relabel_configs:
      - action: labeldrop
        regex: namespace|pod|container
`, hostPort(am.URL), hostPort(central), hostPort(agent)), map[string]string{"rules.yml": rulesWithoutWaiting(t)})

	// One alert per rule file at least, each as on-call sees it.
	want := map[string]map[string]string{
		"KubeReliabilityWebhookCAExpiring":          {"severity": "critical", "configuration": "policy", "webhook": "strict.policy.example"},
		"KubeReliabilityWorkloadWithoutPDB":         {"severity": "warning", "namespace": "shop", "owner_name": "web"},
		"KubeReliabilityEtcdMemberDown":             {"severity": "critical", "member": "gone"},
		"KubeReliabilityContainerWithoutProbe":      {"namespace": "shop", "owner_name": "web"},
		"KubeReliabilityHelmHistoryTooLong":         {"namespace": "shop", "release": "shop"},
		"KubeReliabilityIngressOnRetiredController": {"ingressclass": "nginx"},
		"KubeReliabilityWorkloadSingleNode":         {"namespace": "shop", "owner_name": "web"},
		"KubeReliabilityNamespaceWithoutQuota":      {"namespace": "shop"},
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
			return fmt.Errorf("not delivered yet: %v", missing)
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
