package chain

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestCentralKeepsPolicyReports: central, as the chart's ServiceAccount
// with rbac.policyReports (its only write role), keeps a PolicyReport per
// namespace of its live findings on a real API server serving Kyverno's
// CRDs: the report names each finding, and once a namespace's last finding
// is gone its report is deleted.
func TestCentralKeepsPolicyReports(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	env.InstallPolicyReportCRDs()
	installChartRBAC(t, env, map[string]any{"rbac": map[string]any{"policyReports": true}})
	ctx := context.Background()
	env.CreateNode(testenv.NodeSpec{Name: "node-a", Zone: "zone-a"})
	// batch: capped and defaulted, so its one workload is its only
	// source of findings.
	env.EnsureNamespace("batch")
	if _, err := env.Client.CoreV1().ResourceQuotas("batch").Create(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse("8")}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.CoreV1().LimitRanges("batch").Create(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "defaults"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Default: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := env.CreateDeployment("batch", "worker", 3, nil)
	rs := env.CreateReplicaSet("batch", "worker-1", 3, d, nil)
	pods := env.PodsOn("batch", "worker-1", "ReplicaSet", &rs.ObjectMeta, map[string]string{"app": "worker"}, "node-a", "node-a", "node-a")

	central, centralLog := startExporter(t, "central",
		"RELIABILITY_KUBECONFIG="+env.ServiceAccountKubeconfig(namespace, account),
		"RELIABILITY_POLICY_REPORTS=true", "RELIABILITY_POLICY_REPORTS_INTERVAL=1s", "RELIABILITY_ANALYSIS_MIN_INTERVAL=0s")
	reports := dynamic.NewForConfigOrDie(env.Config).Resource(schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}).Namespace("batch")
	rules := func() ([]string, error) {
		// Findings are computed as Prometheus scrapes.
		if _, _, err := scrape(central); err != nil {
			return nil, err
		}
		rep, err := reports.Get(ctx, "kube-reliability", metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		results, _, _ := unstructured.NestedSlice(rep.Object, "results")
		var out []string
		for _, r := range results {
			m := r.(map[string]any)
			res := m["resources"].([]any)[0].(map[string]any)
			out = append(out, fmt.Sprintf("%s %s/%s %s", m["rule"], res["kind"], res["name"], m["result"]))
		}
		slices.Sort(out)
		return out, nil
	}
	testenv.Eventually(t, 60*time.Second, func() error {
		got, err := rules()
		if err != nil {
			return fmt.Errorf("no PolicyReport batch/kube-reliability yet: %v", err)
		}
		for _, want := range []string{"placement/single-node Deployment/worker fail", "disruption/no-pdb Deployment/worker fail"} {
			if !slices.Contains(got, want) {
				return fmt.Errorf("report results %v, want %q among them", got, want)
			}
		}
		return nil
	})
	if t.Failed() {
		t.Logf("central log:\n%s", centralLog)
	}
	// The workload goes: batch has no finding left, and no report.
	if err := env.Client.AppsV1().Deployments("batch").Delete(ctx, "worker", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.AppsV1().ReplicaSets("batch").Delete(ctx, "worker-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		env.DeletePod("batch", p.Name)
	}
	testenv.Eventually(t, 60*time.Second, func() error {
		got, err := rules()
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("report of batch still there: %v %v", got, err)
	})
	if t.Failed() {
		t.Logf("central log:\n%s", centralLog)
	}
}
