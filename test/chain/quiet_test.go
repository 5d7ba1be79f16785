package chain

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// A quiet cluster stays quiet: a well-configured cluster on the real API
// server (three zones, every workload spread, under a PDB, with requests,
// limits and probes on its own endpoints; every namespace with a quota and
// a limit range; an Ingress on a maintained controller and a webhook whose
// certificates are far from expiry), central and an agent scraped by a
// real Prometheus with the shipped rules, every for: dropped: not one
// alert fires, not even pending.
func TestQuietClusterFiresNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and Prometheus")
	}
	env := testenv.Start(t)
	installChartRBAC(t, env, nil)
	ctx := context.Background()
	for i, zone := range []string{"zone-a", "zone-b", "zone-c"} {
		env.CreateNode(testenv.NodeSpec{Name: fmt.Sprintf("node-%c", 'a'+i), Zone: zone})
	}
	teams := map[string]string{"shop": "storefront", "payments": "payments"}
	for _, ns := range []string{"default", namespace, "shop", "payments"} {
		env.EnsureNamespace(ns)
		if team := teams[ns]; team != "" {
			if _, err := env.Client.CoreV1().Namespaces().Patch(ctx, ns, "application/merge-patch+json",
				[]byte(`{"metadata":{"labels":{"team":"`+team+`"}}}`), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		// Every namespace capped, with default requests and limits.
		if _, err := env.Client.CoreV1().ResourceQuotas(ns).Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse("8"), corev1.ResourceRequestsMemory: resource.MustParse("16Gi")}}},
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Client.CoreV1().LimitRanges(ns).Create(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "defaults"},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
				Default:        corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
				DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}},
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Two workloads as a careful team writes them, one replica per zone.
	for ns, name := range map[string]string{"shop": "web", "payments": "api"} {
		d := env.CreateDeployment(ns, name, 3, func(d *appsv1.Deployment) { wellConfigured(&d.Spec.Template, name) })
		rs := env.CreateReplicaSet(ns, name+"-1", 3, d, nil)
		env.PodsOn(ns, name+"-1", "ReplicaSet", &rs.ObjectMeta, map[string]string{"app": name}, "node-a", "node-b", "node-c")
		one := intstr.FromInt(1)
		if _, err := env.Client.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// An Ingress on a maintained controller, served with a certificate a
	// year from expiry that names its host and verifies against the CA
	// central is given; a Fail webhook whose bundle verifies what it
	// serves, a year from expiry too.
	root := testcerts.NewCA(t, "quiet root")
	now := time.Now().Truncate(time.Second)
	leaf := root.Leaf(t, now.Add(365*24*time.Hour), "shop.example").TLS()
	serveTLS(t, "127.0.18.1:443", &tls.Config{Certificates: []tls.Certificate{leaf}})
	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Cert.Cert.Raw})
	caFile := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(caFile, rootPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "edge"},
		Spec: networkingv1.IngressClassSpec{Controller: "haproxy.org/ingress-controller"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	class := "edge"
	ing, err := env.Client.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "storefront"},
		Spec: networkingv1.IngressSpec{IngressClassName: &class, TLS: []networkingv1.IngressTLS{{Hosts: []string{"shop.example"}, SecretName: "shop-tls"}},
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "127.0.18.1"}}
	if _, err := env.Client.NetworkingV1().Ingresses("shop").UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	hookAddr := testcerts.ServeTLS(t, "127.0.18.2:0", root.Leaf(t, now.Add(365*24*time.Hour), "127.0.18.2"))
	hookURL := "https://" + hookAddr + "/validate"
	fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
	if _, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "quiet.policy.example", FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &hookURL, CABundle: rootPEM},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}}}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	central, centralLog := startExporter(t, "central",
		"RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, account),
		"RELIABILITY_TLS_PROBE_CA_FILE="+caFile)
	agent, agentLog := startExporter(t, "agent",
		"RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, "kube-reliability-agent"),
		"RELIABILITY_NODE_NAME=node-a", "RELIABILITY_HOST_PID=self")
	host := func(u string) string { return strings.TrimPrefix(u, "http://") }
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: kube-reliability/kube-reliability-exporter
    honor_labels: true
    static_configs: [{targets: [%q]}]
  - job_name: kube-reliability/kube-reliability-agent
    static_configs: [{targets: [%q], labels: {node: node-a}}]
`, host(central), host(agent)), map[string]string{"rules.yml": rulesWithoutWaiting(t)})

	// Wait until every analysis has answered (the score is known, the
	// certificates probed), then watch for a while: nothing fires.
	testenv.Eventually(t, 90*time.Second, func() error {
		for _, q := range []string{`kube_reliability_cluster_score`, `kube_reliability_certificate_expiry_timestamp_seconds{host="shop.example"}`,
			`kube_reliability_webhook_ca_expiry_timestamp_seconds`, `kube_reliability_namespace_owner_info{owner="storefront"}`, `up{job=~".*agent"} == 1`} {
			r, err := prom.Query(q)
			if err != nil || len(r) == 0 {
				return fmt.Errorf("no %s in Prometheus yet (%v)", q, err)
			}
		}
		return nil
	})
	// Without for:, the two absent() alerts fire at the evaluations before
	// the first scrapes (for: 15m covers that in the shipped rules): let a
	// few evaluations pass.
	time.Sleep(5 * time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r, err := prom.Query(`ALERTS`)
		if err != nil {
			t.Fatal(err)
		}
		if len(r) > 0 {
			var names []string
			for _, s := range r {
				names = append(names, fmt.Sprint(s.Metric))
			}
			t.Fatalf("a well-configured cluster fires %d alerts:\n%s\ncentral log:\n%s\nagent log:\n%s", len(r), strings.Join(names, "\n"), centralLog, agentLog)
		}
		time.Sleep(time.Second)
	}
	// And no finding for the score to weigh either.
	if r, err := prom.Query(`kube_reliability_namespace_finding_objects`); err != nil || len(r) > 0 {
		t.Errorf("findings on a well-configured cluster: %v %v", r, err)
	}
	// A Krkn run gated by the shipped profile and go/no-go passes here.
	if failing := krknFailing(t, prom); len(failing) > 0 {
		t.Errorf("the Krkn profile fails a well-configured cluster: %v", failing)
	}
	if code, failing, err := goNoGo(central); err != nil || code != 200 {
		t.Errorf("GET /hypotheses?all = %d (not holding: %v, %v), want 200", code, failing, err)
	}
}

// wellConfigured gives a template what the rules ask: requests and a
// memory limit, readiness and liveness on the container's own distinct
// endpoints, and a spread over nodes and zones.
func wellConfigured(tmpl *corev1.PodTemplateSpec, app string) {
	c := &tmpl.Spec.Containers[0]
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	c.Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
	}
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ping", Port: intstr.FromString("http")}}}
	c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromString("http")}}}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
	tmpl.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
		{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel},
		{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel},
	}
}
