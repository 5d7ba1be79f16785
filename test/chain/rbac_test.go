package chain

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

const (
	chartDir  = "../../deploy/helm/kube-reliability-exporter"
	namespace = "kube-reliability"
	account   = "kube-reliability-exporter"
)

// installChartRBAC renders the chart with vals and creates, for real, its
// namespace, ServiceAccounts, ClusterRoles and bindings; it returns the
// rendered objects.
func installChartRBAC(t *testing.T, env *testenv.Env, vals map[string]any) []*unstructured.Unstructured {
	t.Helper()
	objs, err := chart.Objects(chartDir, chart.Release{Name: "kre", Namespace: namespace}, vals)
	if err != nil {
		t.Fatal(err)
	}
	// The namespace as the README makes it (kubectl create namespace,
	// kubectl label ... pod-security.kubernetes.io/enforce=privileged).
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}}}
	if _, err := env.Client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", namespace, err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(env.Config)))
	dyn := dynamic.NewForConfigOrDie(env.Config)
	for _, kind := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding"} {
		for _, o := range objs {
			if o.GetKind() != kind {
				continue
			}
			gvk := o.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Fatal(err)
			}
			var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
			if o.GetNamespace() != "" {
				ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
			}
			if _, err := ri.Create(context.Background(), o, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("create %s %s: %v", kind, o.GetName(), err)
			}
		}
	}
	return objs
}

// TestCentralRunsAsTheChartsServiceAccount: central, with the token of
// the ServiceAccount the chart creates and nothing but the chart's RBAC,
// runs every default collector against the real API server (the CRD
// watchers included: cert-manager's and KEDA's CRDs are installed, and a
// webhook behind a Service without selector makes the TLS probe list
// EndpointSlices); then that account is refused, by the API server, a
// Secret's data and every write, on every resource the server serves
// (checked with SelfSubjectAccessReviews as the account, and by trying).
func TestCentralRunsAsTheChartsServiceAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	env.InstallCertManagerCertificateCRD()
	env.InstallKEDAScaledObjectCRD()
	installChartRBAC(t, env, nil)
	ctx := context.Background()

	// Something to analyse, and a webhook whose Service has no selector.
	env.CreateDeployment("shop", "web", 2, nil)
	if _, err := env.Client.CoreV1().Services("shop").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hook"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Name: "https", Port: 443}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	none, ignore := admissionregistrationv1.SideEffectClassNone, admissionregistrationv1.Ignore
	if _, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "hook.shop.example", SideEffects: &none, FailurePolicy: &ignore, AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "shop", Name: "hook"}},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}}}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		StringData: map[string]string{"password": "hunter2"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	base, log := startExporter(t, "central", "RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, account))
	var last string
	testenv.Eventually(t, 60*time.Second, func() error {
		fams, body, err := scrape(base)
		if err != nil {
			return err
		}
		last = body
		var problems []string
		noData := map[string]bool{}
		for _, m := range fams["kube_reliability_scrape_collector_no_data"].GetMetric() {
			noData[label(m, "collector")] = value(m) == 1
		}
		succeeded := 0
		for _, m := range fams["kube_reliability_scrape_collector_success"].GetMetric() {
			succeeded++
			// No data by design (etcd without endpoints) is not a failure.
			if c := label(m, "collector"); value(m) != 1 && !noData[c] {
				problems = append(problems, "collector "+c+" failed")
			}
		}
		if succeeded < 17 {
			problems = append(problems, fmt.Sprintf("%d collectors ran, want the 17 defaults", succeeded))
		}
		synced := map[string]bool{}
		for _, m := range fams["kube_reliability_informer_synced"].GetMetric() {
			synced[label(m, "resource")] = value(m) == 1
		}
		for _, r := range []string{"pods", "nodes", "services", "ingresses", "validatingwebhookconfigurations", "apiservices", "certificates", "scaledobjects"} {
			if !synced[r] {
				problems = append(problems, r+" not synced")
			}
		}
		// The built-in kinds list and watch without an error. (A CRD just
		// established may answer 429 while its storage initialises, and
		// Helm's storages need the optional role: both are counted.)
		for _, m := range fams["kube_reliability_source_errors_total"].GetMetric() {
			if r := label(m, "resource"); value(m) != 0 && !strings.Contains(r, ":") && r != "certificates" && r != "scaledobjects" {
				problems = append(problems, fmt.Sprintf("%s errors on %s", label(m, "source"), r))
			}
		}
		// The probe round listed the hook's EndpointSlices (none): no
		// endpoints, no resolve error.
		notProbed := map[string]float64{}
		for _, m := range fams["kube_reliability_certificate_hosts_not_probed"].GetMetric() {
			notProbed[label(m, "reason")] = value(m)
		}
		if notProbed["no_endpoints"] != 1 || notProbed["resolve_error"] != 0 {
			problems = append(problems, fmt.Sprintf("hosts not probed %v, want no_endpoints 1, resolve_error 0", notProbed))
		}
		if len(problems) > 0 {
			return fmt.Errorf("%s\nlog:\n%s", strings.Join(problems, "; "), log)
		}
		return nil
	})
	if t.Failed() {
		t.Logf("last scrape:\n%s\nlog:\n%s", last, log)
	}
	if strings.Contains(strings.ToLower(log.String()), "forbidden") {
		t.Errorf("central logged a refusal:\n%s", log)
	}

	// The account, as the API server sees it.
	sa := kubernetes.NewForConfigOrDie(env.ServiceAccountConfig(namespace, account))
	if _, err := sa.CoreV1().Secrets("shop").Get(ctx, "db", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("get a Secret: %v, want forbidden", err)
	}
	if _, err := sa.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list Secrets: %v, want forbidden", err)
	}
	if _, err := sa.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("create a ConfigMap: %v, want forbidden", err)
	}
	if err := sa.AppsV1().Deployments("shop").Delete(ctx, "web", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("delete a Deployment: %v, want forbidden", err)
	}
	if err := sa.CoreV1().Pods("shop").EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "shop"}}); !apierrors.IsForbidden(err) {
		t.Errorf("evict a pod: %v, want forbidden", err)
	}
	// Every write verb on every resource the server serves, and reading
	// Secrets: denied.
	lists, err := env.Client.Discovery().ServerPreferredResources()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, l := range lists {
		group := strings.Split(l.GroupVersion, "/")
		g := ""
		if len(group) == 2 {
			g = group[0]
		}
		for _, r := range l.APIResources {
			if strings.HasPrefix(r.Name, "selfsubject") {
				continue // every authenticated user asks about itself; nothing is written
			}
			verbs := []string{"create", "update", "patch", "delete", "deletecollection"}
			if r.Name == "secrets" {
				verbs = append(verbs, "get", "list", "watch")
			}
			for _, v := range verbs {
				if !slices.Contains(r.Verbs, v) {
					continue
				}
				rev, err := sa.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
					Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Group: g, Resource: r.Name, Verb: v}},
				}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				checked++
				if rev.Status.Allowed {
					t.Errorf("the chart's account may %s %s.%s", v, r.Name, g)
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d verb/resource pairs checked", checked)
	}
}
