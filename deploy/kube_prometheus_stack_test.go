package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// build runs kustomize on dir as kubectl apply -k would.
func build(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	return buildWith(t, dir, krusty.MakeDefaultOptions())
}

// buildWith is build with kustomize's options.
func buildWith(t *testing.T, dir string, opts *krusty.Options) []*unstructured.Unstructured {
	t.Helper()
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range m.Resources() {
		js, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		// Through JSON: unstructured wants int64 where kyaml has int.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// The install a kube-prometheus-stack user makes: the overlay with the
// selector component, applied to a real API server on which
// prometheus-operator's CRDs are installed. Every object is accepted
// (the CRDs' schemas validate the monitors and the rule), the monitors and
// the rule carry the release label the stack selects on, scrape timeouts
// sit above the collectors' deadline and below the interval, the agent
// tolerates every taint and runs under the RuntimeDefault seccomp profile,
// and the namespace admits the agent under Pod Security Admission.
func TestKubePrometheusStackInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	objs := build(t, "kustomize/overlays/kube-prometheus-stack")
	env := testenv.Start(t)
	env.InstallPrometheusOperatorCRDs()
	dc := discovery.NewDiscoveryClientForConfigOrDie(env.Config)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn := dynamic.NewForConfigOrDie(env.Config)
	ctx := context.Background()
	kinds := map[string]*unstructured.Unstructured{}
	// The namespace first: everything else lives in it.
	for pass := range 2 {
		for _, o := range objs {
			if (o.GetKind() == "Namespace") != (pass == 0) {
				continue
			}
			gvk := o.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Fatalf("%s: %v", gvk, err)
			}
			var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
			if o.GetNamespace() != "" {
				ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
			}
			if _, err := ri.Create(ctx, o, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
				t.Errorf("%s %s rejected by the API server: %v", o.GetKind(), o.GetName(), err)
			}
			kinds[o.GetKind()+"/"+o.GetName()] = o
		}
	}
	for _, k := range []string{"ServiceMonitor/kube-reliability-exporter", "PodMonitor/kube-reliability-agent", "PrometheusRule/kube-reliability-exporter"} {
		o, ok := kinds[k]
		if !ok {
			t.Errorf("%s missing from the overlay", k)
			continue
		}
		if got := o.GetLabels()["release"]; got != "kube-prometheus-stack" {
			t.Errorf("%s: release label %q, want kube-prometheus-stack (the stack's default selector)", k, got)
		}
	}
	for k, path := range map[string][]string{
		"ServiceMonitor/kube-reliability-exporter": {"spec", "endpoints"},
		"PodMonitor/kube-reliability-agent":        {"spec", "podMetricsEndpoints"},
	} {
		eps, _, _ := unstructured.NestedSlice(kinds[k].Object, path...)
		for _, ep := range eps {
			m := ep.(map[string]any)
			timeout, err1 := time.ParseDuration(str(m["scrapeTimeout"]))
			interval, err2 := time.ParseDuration(str(m["interval"]))
			// RELIABILITY_COLLECTOR_TIMEOUT's default plus the Set's grace.
			if err1 != nil || err2 != nil || timeout <= 11*time.Second || timeout >= interval {
				t.Errorf("%s: scrapeTimeout %v interval %v: want above the collectors' 11 s and below the interval", k, m["scrapeTimeout"], m["interval"])
			}
		}
	}
	ds := kinds["DaemonSet/kube-reliability-agent"]
	tols, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "tolerations")
	if len(tols) != 1 || tols[0].(map[string]any)["operator"] != "Exists" || tols[0].(map[string]any)["key"] != nil {
		t.Errorf("agent tolerations %v, want every taint tolerated", tols)
	}
	if p, _, _ := unstructured.NestedString(ds.Object, "spec", "template", "spec", "securityContext", "seccompProfile", "type"); p != "RuntimeDefault" {
		t.Errorf("agent seccomp profile %q, want RuntimeDefault", p)
	}
	ns, err := env.Client.CoreV1().Namespaces().Get(ctx, "kube-reliability", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Labels["pod-security.kubernetes.io/enforce"]; got != "privileged" {
		t.Errorf("namespace enforces %q, want privileged (the agent needs hostPID, hostPath and two capabilities)", got)
	}
	// The API server's own PodSecurity admission agrees: the agent's pod
	// is admitted in that namespace (a dry run of the DaemonSet's pod).
	pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "agent-probe", "namespace": "kube-reliability"}}}
	spec, _, _ := unstructured.NestedMap(ds.Object, "spec", "template", "spec")
	pod.Object["spec"] = spec
	_, err = dyn.Resource(mapperPods).Namespace("kube-reliability").Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil && strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("the agent's pod is refused by Pod Security Admission: %v", err)
	}
}

var mapperPods = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

func str(v any) string {
	s, _ := v.(string)
	return s
}
