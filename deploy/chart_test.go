package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/lint"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// chartNamespace is where the tests install the chart: the kustomize
// base's namespace, so the two render alike.
const chartNamespace = "kube-reliability"

// promOperatorAPIs are what a cluster with prometheus-operator's CRDs
// serves of them, as Helm's capabilities list them.
var promOperatorAPIs = []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor",
	"monitoring.coreos.com/v1/PodMonitor", "monitoring.coreos.com/v1/PrometheusRule"}

// renderChart renders the chart with vals as helm install would on a
// cluster with prometheus-operator's CRDs (values schema included) and
// returns its objects, sorted by kind and name.
func renderChart(t *testing.T, vals map[string]any) ([]*unstructured.Unstructured, error) {
	t.Helper()
	return chart.Objects(chartDir, chart.Release{Name: "kre", Namespace: chartNamespace, APIVersions: promOperatorAPIs}, vals)
}

func mustRender(t *testing.T, vals map[string]any) []*unstructured.Unstructured {
	t.Helper()
	objs, err := renderChart(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return objs
}

// fullValues sets every switch the other way and every list and map.
var fullValues = map[string]any{
	"prometheusOperator": map[string]any{"render": "always"},
	"collectors":         map[string]any{"enabled": []any{"placement_detail"}, "disabled": []any{"health_fetch"}},
	"central": map[string]any{
		"config":            map[string]any{"RELIABILITY_TLS_PROBE_INTERVAL": "10m", "RELIABILITY_HEALTH_FETCH": false, "RELIABILITY_KUBE_API_QPS": 50, "RELIABILITY_LOG_LEVEL": "debug"},
		"nodeSelector":      map[string]any{"kubernetes.io/os": "linux"},
		"tolerations":       []any{map[string]any{"key": "dedicated", "operator": "Equal", "value": "monitoring", "effect": "NoSchedule"}},
		"affinity":          map[string]any{"nodeAffinity": map[string]any{}},
		"podAnnotations":    map[string]any{"example.com/team": "sre"},
		"priorityClassName": "system-cluster-critical",
		"resources":         map[string]any{"requests": map[string]any{"cpu": 0.25, "memory": "256Mi"}, "limits": map[string]any{"memory": "1.5Gi"}},
		"exemptions":        []any{map[string]any{"rule": "disruption/no-pdb", "namespace": "batch", "reason": "jobs restart from a checkpoint"}},
	},
	"agent": map[string]any{
		"config":            map[string]any{"RELIABILITY_NGINX_SAMPLE_INTERVAL": "500ms", "RELIABILITY_ETCD_DATA_DIR": "/var/lib/etcd-data"},
		"priorityClassName": "system-node-critical",
	},
	"imagePullSecrets": []any{map[string]any{"name": "registry"}},
	"rbac":             map[string]any{"helmHistory": true},
	"serviceMonitor":   map[string]any{"labels": map[string]any{"release": "kube-prometheus-stack"}, "interval": "30s", "scrapeTimeout": "25s"},
	"podMonitor":       map[string]any{"labels": map[string]any{"release": "kube-prometheus-stack"}},
	"prometheusRule":   map[string]any{"labels": map[string]any{"release": "kube-prometheus-stack"}},
	"dashboards":       map[string]any{"folder": "Reliability"},
	"networkPolicy":    map[string]any{"enabled": true},
}

// helm lint passes with the defaults and with every value set.
func TestChartLint(t *testing.T) {
	for name, vals := range map[string]map[string]any{"defaults": nil, "full": fullValues} {
		res := lint.RunAll(chartDir, vals, chartNamespace)
		for _, m := range res.Messages {
			if m.Severity >= 2 { // warning and error; info is advice
				t.Errorf("%s: helm lint: %s", name, m)
			}
		}
	}
}

// helmLabels are what the chart adds to every object and the kustomize
// base has no reason to carry.
var helmLabels = []string{"helm.sh/chart", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "app.kubernetes.io/version"}

// normalized drops Helm's labels and reads a ClusterRole's rules as a set
// of (group, resource, verb) grants, however they are grouped.
func normalized(o *unstructured.Unstructured) map[string]any {
	c := o.DeepCopy()
	labels := c.GetLabels()
	for _, l := range helmLabels {
		delete(labels, l)
	}
	c.SetLabels(labels)
	if c.GetKind() == "ClusterRole" {
		var grants []string
		rules, _, _ := unstructured.NestedSlice(c.Object, "rules")
		for _, r := range rules {
			m := r.(map[string]any)
			for _, v := range strs(m["verbs"]) {
				for _, u := range strs(m["nonResourceURLs"]) {
					grants = append(grants, u+" "+v)
				}
				for _, g := range strs(m["apiGroups"]) {
					for _, res := range strs(m["resources"]) {
						grants = append(grants, g+"/"+res+" "+v)
					}
				}
			}
		}
		slices.Sort(grants)
		c.Object["rules"] = grants
	}
	if c.GetKind() == "Deployment" || c.GetKind() == "DaemonSet" {
		// The chart pins the image to its appVersion and says how to pull it.
		cs, _, _ := unstructured.NestedSlice(c.Object, "spec", "template", "spec", "containers")
		for _, x := range cs {
			m := x.(map[string]any)
			m["image"] = "IMAGE"
			delete(m, "imagePullPolicy")
		}
		_ = unstructured.SetNestedSlice(c.Object, cs, "spec", "template", "spec", "containers")
	}
	// Numbers as JSON reads them: the two decoders type them differently.
	b, _ := json.Marshal(c.Object)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// One source of truth: the chart with the helm-history role (an overlay of
// the base) renders the kustomize base plus that overlay, object by object
// — the same objects, the same fields, the same grants — apart from Helm's
// labels and the image tag, and the base's Namespace (Helm needs the
// release namespace before it installs anything: docs/install.md).
func TestChartMatchesKustomize(t *testing.T) {
	matchesKustomize(t, map[string]any{"rbac": map[string]any{"helmHistory": true}}, "kustomize/helm-history")
}

// The chart with rbac.policyReports renders the policy-reports overlay:
// its role, its binding, and central's RELIABILITY_POLICY_REPORTS.
func TestChartMatchesKustomizePolicyReports(t *testing.T) {
	matchesKustomize(t, map[string]any{"rbac": map[string]any{"policyReports": true}}, "kustomize/policy-reports")
}

func matchesKustomize(t *testing.T, values map[string]any, overlay string) {
	t.Helper()
	chart := mustRender(t, values)
	var kust []*unstructured.Unstructured
	// An overlay holds the base: its objects win over the base's.
	seen := map[string]bool{}
	for _, o := range build(t, overlay) {
		seen[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = true
	}
	all := build(t, overlay)
	for _, o := range build(t, base) {
		if !seen[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] {
			all = append(all, o)
		}
	}
	for _, o := range all {
		if o.GetKind() != "Namespace" {
			kust = append(kust, o)
		}
	}
	index := func(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
		m := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			m[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
		}
		return m
	}
	c, k := index(chart), index(kust)
	for _, key := range slices.Sorted(maps.Keys(k)) {
		co, ok := c[key]
		if !ok {
			t.Errorf("%s: in the kustomize base, not rendered by the chart", key)
			continue
		}
		if got, want := normalized(co), normalized(k[key]); !reflect.DeepEqual(got, want) {
			gy, _ := yaml.Marshal(got)
			wy, _ := yaml.Marshal(want)
			t.Errorf("%s differs:\n--- chart\n%s\n--- kustomize\n%s", key, gy, wy)
		}
	}
	for key := range c {
		if _, ok := k[key]; !ok {
			t.Errorf("%s: rendered by the chart, not in the kustomize base", key)
		}
	}
}

// A wrong value fails the render with the path and what is wrong.
func TestChartSchemaRefusesWrongValues(t *testing.T) {
	for _, c := range []struct {
		vals map[string]any
		want string
	}{
		{map[string]any{"central": map[string]any{"config": map[string]any{"RELIABILITY_TLS_PROBE": "maybe"}}}, "RELIABILITY_TLS_PROBE"},
		{map[string]any{"central": map[string]any{"config": map[string]any{"RELIABILITY_TLS_PROBE_INTERVAL": "5 minutes"}}}, "RELIABILITY_TLS_PROBE_INTERVAL"},
		{map[string]any{"central": map[string]any{"config": map[string]any{"RELIABILITY_NO_SUCH_THING": "1"}}}, "RELIABILITY_NO_SUCH_THING"},
		{map[string]any{"central": map[string]any{"config": map[string]any{"RELIABILITY_LOG_LEVEL": "verbose"}}}, "RELIABILITY_LOG_LEVEL"},
		// The agent's own variables are not central's, and the reverse.
		{map[string]any{"central": map[string]any{"config": map[string]any{"RELIABILITY_NGINX_SAMPLE_INTERVAL": "1s"}}}, "RELIABILITY_NGINX_SAMPLE_INTERVAL"},
		{map[string]any{"agent": map[string]any{"config": map[string]any{"RELIABILITY_ETCD_ENDPOINTS": "https://127.0.0.1:2379"}}}, "RELIABILITY_ETCD_ENDPOINTS"},
		// What the chart sets itself.
		{map[string]any{"central": map[string]any{"config": map[string]any{"RELIABILITY_COLLECTORS_DISABLED": "health"}}}, "RELIABILITY_COLLECTORS_DISABLED"},
		{map[string]any{"collectors": map[string]any{"disabled": []any{"nginx"}}}, "collectors"},
		{map[string]any{"serviceMonitor": map[string]any{"interval": "often"}}, "interval"},
		// Go's durations are not Prometheus': prometheus-operator refuses 1.5m.
		{map[string]any{"podMonitor": map[string]any{"interval": "1.5m"}}, "interval"},
		{map[string]any{"serviceMonitor": map[string]any{"interval": "30s", "scrapeTimeout": "1m"}}, "serviceMonitor.scrapeTimeout (1m) is longer than serviceMonitor.interval (30s)"},
		{map[string]any{"podMonitor": map[string]any{"interval": "1m", "scrapeTimeout": "1m1s"}}, "podMonitor.scrapeTimeout"},
		{map[string]any{"central": map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": "1 GB"}}}}, "memory"},
		{map[string]any{"agent": map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "100mc"}}}}, "cpu"},
		{map[string]any{"prometheusOperator": map[string]any{"render": "yes"}}, "render"},
		{map[string]any{"namespace": map[string]any{"create": true}}, "namespace"},
		{map[string]any{"central": map[string]any{"exemptions": []any{map[string]any{"rule": "disruption/no-pdb"}}}}, "reason"},
		{map[string]any{"image": map[string]any{"pullPolicy": "Sometimes"}}, "pullPolicy"},
		{map[string]any{"servicemonitor": map[string]any{"enabled": false}}, "servicemonitor"},
	} {
		_, err := renderChart(t, c.vals)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("values %v: error %v, want one naming %q", c.vals, err, c.want)
		}
	}
	// And the values a user would set pass, typed as YAML types them.
	if _, err := renderChart(t, fullValues); err != nil {
		t.Errorf("full values refused: %v", err)
	}
}

// prometheus-operator's kinds are rendered when the cluster serves them
// (helm install asks it), or always or never when told.
func TestChartMonitorsFollowTheAPI(t *testing.T) {
	monitors := func(apis []string, vals map[string]any) []string {
		objs, err := chart.Objects(chartDir, chart.Release{Name: "kre", Namespace: chartNamespace, APIVersions: apis}, vals)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, o := range objs {
			if strings.HasPrefix(o.GetAPIVersion(), "monitoring.coreos.com/") {
				kinds = append(kinds, o.GetKind())
			}
		}
		return kinds
	}
	all := []string{"PodMonitor", "PrometheusRule", "ServiceMonitor"}
	render := func(mode string) map[string]any {
		return map[string]any{"prometheusOperator": map[string]any{"render": mode}}
	}
	for _, c := range []struct {
		name string
		apis []string
		vals map[string]any
		want []string
	}{
		{"no CRDs", nil, nil, nil},
		{"CRDs", promOperatorAPIs, nil, all},
		{"only the rule's CRD", []string{"monitoring.coreos.com/v1/PrometheusRule"}, nil, []string{"PrometheusRule"}},
		{"no CRDs, always", nil, render("always"), all},
		{"CRDs, never", promOperatorAPIs, render("never"), nil},
	} {
		if got := monitors(c.apis, c.vals); !slices.Equal(got, c.want) {
			t.Errorf("%s: rendered %v, want %v", c.name, got, c.want)
		}
	}
}

// find returns the rendered object of that kind and name.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

// grants lists a ClusterRole's (group/resource verb) grants.
func grants(t *testing.T, objs []*unstructured.Unstructured, name string) []string {
	t.Helper()
	return strs(normalized(find(t, objs, "ClusterRole", name))["rules"])
}

// A disabled collector needs no rule: with the Gateway API, certificate
// and webhook collectors off, their resources leave the ClusterRole and
// central is told to skip them; resources another collector still reads
// stay. Every value lands where it should.
func TestChartValues(t *testing.T) {
	off := mustRender(t, map[string]any{"collectors": map[string]any{"disabled": []any{"gateway", "certificates", "webhooks", "apiservices"}}})
	g := grants(t, off, "kube-reliability-exporter")
	for _, gone := range []string{"gateway.networking.k8s.io/gateways list", "discovery.k8s.io/endpointslices list", "cert-manager.io/certificates list",
		"admissionregistration.k8s.io/validatingwebhookconfigurations list", "apiregistration.k8s.io/apiservices list"} {
		if slices.Contains(g, gone) {
			t.Errorf("%s granted with every collector that reads it disabled", gone)
		}
	}
	for _, kept := range []string{"/pods list", "/services watch", "networking.k8s.io/ingresses list", "/metrics get"} {
		if !slices.Contains(g, kept) {
			t.Errorf("%s not granted though enabled collectors read it", kept)
		}
	}
	env := func(objs []*unstructured.Unstructured, kind, name string) map[string]string {
		cs, _, _ := unstructured.NestedSlice(find(t, objs, kind, name).Object, "spec", "template", "spec", "containers")
		out := map[string]string{}
		for _, e := range asSlice(cs[0].(map[string]any)["env"]) {
			m := e.(map[string]any)
			out[fmt.Sprint(m["name"])] = fmt.Sprint(m["value"])
		}
		return out
	}
	if got := env(off, "Deployment", "kube-reliability-exporter")["RELIABILITY_COLLECTORS_DISABLED"]; got != "gateway,certificates,webhooks,apiservices" {
		t.Errorf("RELIABILITY_COLLECTORS_DISABLED %q", got)
	}

	full := mustRender(t, fullValues)
	ce := env(full, "Deployment", "kube-reliability-exporter")
	for k, want := range map[string]string{"RELIABILITY_TLS_PROBE_INTERVAL": "10m", "RELIABILITY_HEALTH_FETCH": "false", "RELIABILITY_KUBE_API_QPS": "50",
		"RELIABILITY_COLLECTORS_ENABLED": "placement_detail", "RELIABILITY_COLLECTORS_DISABLED": "health_fetch", "RELIABILITY_LISTEN_ADDRESS": ":9759"} {
		if ce[k] != want {
			t.Errorf("central %s = %q, want %q", k, ce[k], want)
		}
	}
	if ae := env(full, "DaemonSet", "kube-reliability-agent"); ae["RELIABILITY_NGINX_SAMPLE_INTERVAL"] != "500ms" || ae["RELIABILITY_PROC_ROOT"] != "/host/proc" {
		t.Errorf("agent env %v", ae)
	}
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule"} {
		if l := find(t, full, kind, "kube-reliability-exporter").GetLabels()["release"]; l != "kube-prometheus-stack" {
			t.Errorf("%s release label %q", kind, l)
		}
	}
	if l := find(t, full, "PodMonitor", "kube-reliability-agent").GetLabels()["release"]; l != "kube-prometheus-stack" {
		t.Errorf("PodMonitor release label %q", l)
	}
	// The exemptions: a ConfigMap central reads as its exemptions file.
	ex := find(t, full, "ConfigMap", "kube-reliability-exporter-exemptions")
	body, _, _ := unstructured.NestedString(ex.Object, "data", "exemptions.yaml")
	if parsed, err := findings.ParseExemptions([]byte(body)); err != nil || len(parsed) != 1 || parsed[0].Namespace != "batch" {
		t.Errorf("exemptions ConfigMap %q: %+v %v", body, parsed, err)
	}
	if got := ce["RELIABILITY_EXEMPTIONS_FILE"]; got != "/etc/kube-reliability/exemptions.yaml" {
		t.Errorf("RELIABILITY_EXEMPTIONS_FILE %q", got)
	}
	if _, ok := env(mustRender(t, nil), "Deployment", "kube-reliability-exporter")["RELIABILITY_EXEMPTIONS_FILE"]; ok {
		t.Error("RELIABILITY_EXEMPTIONS_FILE set without exemptions")
	}
	cm := find(t, full, "ConfigMap", "kube-reliability-dashboards")
	if cm.GetAnnotations()["grafana_folder"] != "Reliability" || cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("dashboards ConfigMap labels %v annotations %v", cm.GetLabels(), cm.GetAnnotations())
	}
	boards, _ := filepath.Glob("../grafana/*.json")
	if data, _, _ := unstructured.NestedMap(cm.Object, "data"); len(data) != len(boards) || len(boards) < 7 {
		t.Errorf("%d dashboards in the ConfigMap, want the %d of grafana/", len(data), len(boards))
	}
	find(t, full, "NetworkPolicy", "kube-reliability-exporter")
	find(t, full, "ClusterRole", "kube-reliability-exporter-helm-history")
	// Switched off: no monitors, rules, dashboards, agent.
	none := mustRender(t, map[string]any{"serviceMonitor": map[string]any{"enabled": false}, "podMonitor": map[string]any{"enabled": false},
		"prometheusRule": map[string]any{"enabled": false}, "dashboards": map[string]any{"enabled": false}, "agent": map[string]any{"enabled": false}})
	for _, o := range none {
		switch o.GetKind() {
		case "ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap", "DaemonSet":
			t.Errorf("%s %s rendered though switched off", o.GetKind(), o.GetName())
		}
		if strings.Contains(o.GetName(), "agent") {
			t.Errorf("%s %s rendered with the agent off", o.GetKind(), o.GetName())
		}
	}
}

// The chart installs on the real API server with prometheus-operator's
// CRDs (server-side apply, dry run, strict field validation: every field
// checked against the real schemas), with the defaults and with every
// value set; so does the kustomize base.
func TestChartInstallsOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	env.InstallPrometheusOperatorCRDs()
	env.EnsureNamespace(chartNamespace)
	dc := discovery.NewDiscoveryClientForConfigOrDie(env.Config)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn := dynamic.NewForConfigOrDie(env.Config)
	apply := func(set string, objs []*unstructured.Unstructured) {
		for _, o := range objs {
			gvk := o.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Errorf("%s: %s: %v", set, gvk, err)
				continue
			}
			var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
			if o.GetNamespace() != "" {
				ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
			}
			b, err := o.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			force := true
			if _, err := ri.Patch(context.Background(), o.GetName(), types.ApplyPatchType, b, metav1.PatchOptions{
				FieldManager: "kre-chart-test", DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict", Force: &force}); err != nil {
				t.Errorf("%s: %s %s refused: %v", set, o.GetKind(), o.GetName(), err)
			}
		}
	}
	apply("chart defaults", mustRender(t, nil))
	apply("chart, every value", mustRender(t, fullValues))
	apply("kustomize base", build(t, base))
}

// runbook_url follows a settable base, in the chart (a value) and in
// kustomize (the runbook-url component), anchors kept.
func TestRunbookBaseURL(t *testing.T) {
	check := func(name string, objs []*unstructured.Unstructured, base string) {
		t.Helper()
		rule := find(t, objs, "PrometheusRule", "kube-reliability-exporter")
		groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
		n := 0
		for _, g := range groups {
			rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
			for _, r := range rules {
				rm := r.(map[string]any)
				alert, _ := rm["alert"].(string)
				if alert == "" {
					continue
				}
				n++
				url, _, _ := unstructured.NestedString(rm, "annotations", "runbook_url")
				if want := base + "#" + strings.ToLower(alert); url != want {
					t.Errorf("%s: %s runbook_url %q, want %q", name, alert, url, want)
				}
			}
		}
		if n < 50 {
			t.Errorf("%s: %d alerts checked", name, n)
		}
	}
	const wiki = "https://wiki.example.com/sre/kube-reliability-runbooks"
	check("chart default", mustRender(t, nil), "https://github.com/kube-reliability/kube-reliability-exporter/blob/main/docs/runbooks.md")
	check("chart value", mustRender(t, map[string]any{"prometheusRule": map[string]any{"runbookBaseURL": wiki}}), wiki)

	dir := t.TempDir()
	abs, err := filepath.Abs("kustomize")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	overlay := "resources:\n  - " + filepath.Join(rel, "base") + "\ncomponents:\n  - " + filepath.Join(rel, "components", "runbook-url") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(overlay), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = kustypes.LoadRestrictionsNone
	objs := buildWith(t, dir, opts)
	check("kustomize component", objs, wiki)
}
