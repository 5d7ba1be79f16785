package deploy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// The install as README.md and docs/install.md give it, on a fresh real
// API server without and with prometheus-operator's CRDs: the namespace
// made and labelled for Pod Security as documented, then helm install
// through the Helm SDK (server-side apply, the CLI's defaults). Every
// object of the release is on the server, the monitors exist exactly
// when the API serves them and select what the chart creates, the
// agent's pods are admitted, NOTES.txt says what it left out; helm
// upgrade adds and removes what the values say, and helm uninstall leaves
// nothing behind. Then the documented kustomize install on the same
// server: the base with the CRDs, the overlay without them.
func TestInstallAsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	for _, withCRDs := range []bool{false, true} {
		t.Run(fmt.Sprintf("prometheus-operator CRDs %v", withCRDs), func(t *testing.T) {
			env := testenv.Start(t)
			if withCRDs {
				env.InstallPrometheusOperatorCRDs()
			}
			ctx := context.Background()
			// kubectl create namespace kube-reliability
			// kubectl label namespace kube-reliability pod-security.kubernetes.io/enforce=privileged
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: chartNamespace}}
			if _, err := env.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			patch := []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`)
			if _, err := env.Client.CoreV1().Namespaces().Patch(ctx, chartNamespace, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
			cl := newCluster(t, env)
			cfg := helmConfig(t, env)
			ch, err := loader.Load(chartDir)
			if err != nil {
				t.Fatal(err)
			}

			// helm install kre deploy/helm/kube-reliability-exporter -n kube-reliability
			install := action.NewInstall(cfg)
			install.ReleaseName, install.Namespace = "kre", chartNamespace
			install.WaitStrategy = kube.HookOnlyStrategy // the CLI's default without --wait
			rr, err := install.RunWithContext(ctx, ch, nil)
			if err != nil {
				t.Fatalf("helm install: %v", err)
			}
			rel := rr.(*release.Release)
			objs := manifestObjects(t, rel.Manifest)
			cl.requirePresent(t, objs)
			monitors := []string{"PodMonitor", "PrometheusRule", "ServiceMonitor"}
			if got := kindsIn(objs, "monitoring.coreos.com/v1"); withCRDs && !slices.Equal(got, monitors) || !withCRDs && len(got) > 0 {
				t.Errorf("prometheus-operator objects installed: %v", got)
			}
			left := "Not installed: ServiceMonitor, PodMonitor, PrometheusRule."
			if strings.Contains(rel.Info.Notes, left) == withCRDs {
				t.Errorf("NOTES.txt with CRDs %v:\n%s", withCRDs, rel.Info.Notes)
			}
			if strings.Contains(rel.Info.Notes, "Pod Security") {
				t.Errorf("NOTES.txt asks for the Pod Security label the namespace has:\n%s", rel.Info.Notes)
			}
			if withCRDs {
				requireMonitorsSelect(t, objs)
			}
			// The agent's and central's pods pass the namespace's Pod
			// Security admission (a dry-run create of each template).
			for _, o := range objs {
				if o.GetKind() == "DaemonSet" || o.GetKind() == "Deployment" {
					cl.admitsPodOf(t, o)
				}
			}

			// helm upgrade --set networkPolicy.enabled=true,rbac.helmHistory=true
			upgrade := action.NewUpgrade(cfg)
			upgrade.Namespace, upgrade.WaitStrategy = chartNamespace, kube.HookOnlyStrategy
			more := map[string]any{"networkPolicy": map[string]any{"enabled": true}, "rbac": map[string]any{"helmHistory": true}}
			rr, err = upgrade.RunWithContext(ctx, "kre", ch, more)
			if err != nil {
				t.Fatalf("helm upgrade: %v", err)
			}
			upgraded := manifestObjects(t, rr.(*release.Release).Manifest)
			cl.requirePresent(t, upgraded)
			added := kindsIn(upgraded, "networking.k8s.io/v1")
			if !slices.Equal(added, []string{"NetworkPolicy"}) {
				t.Errorf("after the upgrade, networking objects %v", added)
			}
			// and back (helm upgrade --reset-values): what the upgrade added
			// is deleted.
			upgrade.ResetValues = true
			if _, err = upgrade.RunWithContext(ctx, "kre", ch, nil); err != nil {
				t.Fatalf("helm upgrade back: %v", err)
			}
			cl.requireAbsent(t, without(upgraded, objs))

			// helm uninstall kre -n kube-reliability
			if n := len(cl.labelled(t, "app.kubernetes.io/instance=kre")); n < len(objs) {
				t.Fatalf("before uninstall %d objects carry the release label, the release has %d: the check below would prove nothing", n, len(objs))
			}
			uninstall := action.NewUninstall(cfg)
			uninstall.WaitStrategy = kube.HookOnlyStrategy
			if _, err := uninstall.Run("kre"); err != nil {
				t.Fatalf("helm uninstall: %v", err)
			}
			cl.requireAbsent(t, upgraded)
			for _, sel := range []string{"app.kubernetes.io/instance=kre", "owner=helm,name=kre" /* the release's own Secrets */} {
				for _, o := range cl.labelled(t, sel) {
					t.Errorf("left behind by helm uninstall: %s (%s)", o, sel)
				}
			}

			// kubectl apply --server-side -k deploy/kustomize/base, or the
			// overlay that leaves prometheus-operator's kinds out.
			dir := "kustomize/overlays/without-prometheus-operator"
			if withCRDs {
				dir = base
			}
			kust := build(t, dir)
			cl.apply(t, kust)
			cl.requirePresent(t, kust)
			if got := kindsIn(kust, "monitoring.coreos.com/v1"); withCRDs && !slices.Equal(got, monitors) || !withCRDs && len(got) > 0 {
				t.Errorf("%s: prometheus-operator objects %v", dir, got)
			}
			for _, o := range kust {
				if o.GetKind() == "DaemonSet" {
					cl.admitsPodOf(t, o)
				}
			}
		})
	}
}

// helmConfig is what the helm CLI builds from --kubeconfig and -n, with
// the default (Secret) release storage.
func helmConfig(t *testing.T, env *testenv.Env) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	kubeconfig, ns := env.Kubeconfig(), chartNamespace
	flags.KubeConfig, flags.Namespace = &kubeconfig, &ns
	cfg := action.NewConfiguration()
	cfg.SetLogger(slog.NewTextHandler(io.Discard, nil))
	if err := cfg.Init(flags, chartNamespace, "secret"); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// manifestObjects decodes a release's manifest.
func manifestObjects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for doc := range strings.SplitSeq(manifest, "\n---") {
		u := &unstructured.Unstructured{}
		if err := yamlToUnstructured(doc, u); err != nil {
			t.Fatalf("manifest: %v", err)
		}
		if u.Object != nil && u.GetKind() != "" {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		t.Fatal("empty manifest")
	}
	return out
}

// kindsIn lists the kinds of objs in apiVersion, sorted.
func kindsIn(objs []*unstructured.Unstructured, apiVersion string) []string {
	var out []string
	for _, o := range objs {
		if o.GetAPIVersion() == apiVersion {
			out = append(out, o.GetKind())
		}
	}
	slices.Sort(out)
	return out
}

// without returns the objects of a that b does not have.
func without(a, b []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range a {
		if !slices.ContainsFunc(b, func(x *unstructured.Unstructured) bool {
			return x.GetKind() == o.GetKind() && x.GetName() == o.GetName()
		}) {
			out = append(out, o)
		}
	}
	return out
}

// requireMonitorsSelect: the ServiceMonitor selects the chart's Service by
// its labels and names a port it has; the PodMonitor selects the agent's
// pod template and names one of its container ports.
func requireMonitorsSelect(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	selects := func(monitor, target *unstructured.Unstructured, targetLabels []string, ports []string, endpoints string) {
		sel, _, _ := unstructured.NestedStringMap(monitor.Object, "spec", "selector", "matchLabels")
		have, _, _ := unstructured.NestedStringMap(target.Object, targetLabels...)
		if len(sel) == 0 || !labels.SelectorFromSet(sel).Matches(labels.Set(have)) {
			t.Errorf("%s %s selects %v, %s %s carries %v", monitor.GetKind(), monitor.GetName(), sel, target.GetKind(), target.GetName(), have)
		}
		eps, _, _ := unstructured.NestedSlice(monitor.Object, "spec", endpoints)
		for _, e := range eps {
			if p := fmt.Sprint(e.(map[string]any)["port"]); !slices.Contains(ports, p) {
				t.Errorf("%s %s scrapes port %q, %s has %v", monitor.GetKind(), monitor.GetName(), p, target.GetKind(), ports)
			}
		}
	}
	var svc, ds, sm, pm *unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Service":
			svc = o
		case "DaemonSet":
			ds = o
		case "ServiceMonitor":
			sm = o
		case "PodMonitor":
			pm = o
		}
	}
	if svc == nil || ds == nil || sm == nil || pm == nil {
		t.Fatalf("service %v, daemonset %v, servicemonitor %v, podmonitor %v", svc != nil, ds != nil, sm != nil, pm != nil)
	}
	var svcPorts, podPorts []string
	sp, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	for _, p := range sp {
		svcPorts = append(svcPorts, fmt.Sprint(p.(map[string]any)["name"]))
	}
	cs, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "containers")
	for _, c := range cs {
		ports, _, _ := unstructured.NestedSlice(c.(map[string]any), "ports")
		for _, p := range ports {
			podPorts = append(podPorts, fmt.Sprint(p.(map[string]any)["name"]))
		}
	}
	selects(sm, svc, []string{"metadata", "labels"}, svcPorts, "endpoints")
	selects(pm, ds, []string{"spec", "template", "metadata", "labels"}, podPorts, "podMetricsEndpoints")
}

// cluster reads and writes any kind on the test API server.
type cluster struct {
	env    *testenv.Env
	mapper *restmapper.DeferredDiscoveryRESTMapper
	disco  discovery.DiscoveryInterface
	dyn    dynamic.Interface
}

func newCluster(t *testing.T, env *testenv.Env) *cluster {
	dc := discovery.NewDiscoveryClientForConfigOrDie(env.Config)
	return &cluster{env: env, disco: dc, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), dyn: dynamic.NewForConfigOrDie(env.Config)}
}

func (c *cluster) resource(t *testing.T, o *unstructured.Unstructured) dynamic.ResourceInterface {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s: %v", gvk, err)
	}
	if o.GetNamespace() != "" || m.Scope.Name() == "namespace" {
		ns := o.GetNamespace()
		if ns == "" {
			ns = chartNamespace
		}
		return c.dyn.Resource(m.Resource).Namespace(ns)
	}
	return c.dyn.Resource(m.Resource)
}

func (c *cluster) requirePresent(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if _, err := c.resource(t, o).Get(context.Background(), o.GetName(), metav1.GetOptions{}); err != nil {
			t.Errorf("%s %s not on the server: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

func (c *cluster) requireAbsent(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if _, err := c.resource(t, o).Get(context.Background(), o.GetName(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s %s still on the server (%v)", o.GetKind(), o.GetName(), err)
		}
	}
}

// labelled lists every listable kind, in every namespace, for objects
// carrying selector, as kind namespace/name.
func (c *cluster) labelled(t *testing.T, selector string) []string {
	t.Helper()
	lists, err := c.disco.ServerPreferredResources()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !slices.Contains(r.Verbs, "list") || strings.Contains(r.Name, "/") {
				continue
			}
			got, err := c.dyn.Resource(gv.WithResource(r.Name)).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				t.Errorf("list %s: %v", r.Name, err)
				continue
			}
			for _, o := range got.Items {
				out = append(out, fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName()))
			}
		}
	}
	return out
}

// apply is kubectl apply --server-side.
func (c *cluster) apply(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		b, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.resource(t, o).Patch(context.Background(), o.GetName(), types.ApplyPatchType, b,
			metav1.PatchOptions{FieldManager: "kubectl", FieldValidation: "Strict"}); err != nil {
			t.Errorf("apply %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// admitsPodOf creates (dry run) a pod from the workload's template in its
// namespace: Pod Security Admission judges pods, not their controllers.
func (c *cluster) admitsPodOf(t *testing.T, workload *unstructured.Unstructured) {
	t.Helper()
	tmpl, ok, _ := unstructured.NestedMap(workload.Object, "spec", "template")
	if !ok {
		t.Fatalf("%s %s has no pod template", workload.GetKind(), workload.GetName())
	}
	pod := &unstructured.Unstructured{Object: tmpl}
	pod.SetAPIVersion("v1")
	pod.SetKind("Pod")
	pod.SetName(workload.GetName() + "-admission")
	ns := workload.GetNamespace()
	if ns == "" {
		ns = chartNamespace
	}
	if _, err := c.dyn.Resource(corev1.SchemeGroupVersion.WithResource("pods")).Namespace(ns).Create(context.Background(), pod,
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("a pod of %s %s is refused in %s: %v", workload.GetKind(), workload.GetName(), ns, err)
	}
}

func yamlToUnstructured(doc string, u *unstructured.Unstructured) error {
	var o map[string]any
	if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
		return err
	}
	u.Object = o
	return nil
}
