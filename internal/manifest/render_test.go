package manifest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// kinds counts the decoded and the skipped objects by kind/name.
func kinds(r Result) map[string]int {
	out := map[string]int{}
	for _, o := range r.Objects {
		m, err := meta.Accessor(o.Obj)
		if err != nil {
			continue
		}
		out[o.Obj.GetObjectKind().GroupVersionKind().Kind+"/"+m.GetName()]++
	}
	for _, s := range r.Skipped {
		out[s.Kind+"/"+s.Name]++
	}
	return out
}

// "-" reads standard input: helm template … | audit -.
func TestDecodeStdin(t *testing.T) {
	old := Stdin
	t.Cleanup(func() { Stdin = old })
	Stdin = strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---# a comment after the separator\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {ports: [{port: 80}]}\n")
	r := DecodePaths([]string{"-"})
	if len(r.Errors) > 0 || len(r.Objects) != 2 || r.Objects[1].File != "-" || r.Objects[1].Line != 5 {
		t.Errorf("objects %+v errors %v", r.Objects, r.Errors)
	}
}

// A chart directory is rendered as helm template renders it (values files
// given), never decoded as templates: the exporter's own chart, with and
// without the agent, and a real public chart — cert-manager's, from its
// Go module — without one undecodable document.
func TestDecodeHelmChart(t *testing.T) {
	t.Cleanup(func() { HelmValues = nil })
	r := DecodePaths([]string{"../../deploy/helm"})
	k := kinds(r)
	if len(r.Errors) > 0 || k["Deployment/kube-reliability-exporter"] != 1 || k["DaemonSet/kube-reliability-agent"] != 1 {
		t.Errorf("own chart: %v, errors %v", k, r.Errors)
	}
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("agent:\n  enabled: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	HelmValues = []string{values}
	if k := kinds(DecodePaths([]string{"../../deploy/helm/kube-reliability-exporter"})); k["DaemonSet/kube-reliability-agent"] != 0 || k["Deployment/kube-reliability-exporter"] != 1 {
		t.Errorf("agent.enabled=false still renders %v", k)
	}
	HelmValues = nil
	dir := filepath.Join(testenv.ModuleDir(t, "github.com/cert-manager/cert-manager", testenv.CertManagerVersion), "deploy", "charts", "cert-manager")
	r = DecodePaths([]string{dir})
	k = kinds(r)
	if len(r.Errors) > 0 || k["Deployment/release-cert-manager"] != 1 || k["Deployment/release-cert-manager-webhook"] != 1 || k["Deployment/release-cert-manager-cainjector"] != 1 {
		t.Errorf("cert-manager's chart: %d objects %v, errors %v", len(r.Objects), k, r.Errors)
	}
}

// A kustomization directory is built as kubectl apply -k builds it; a
// Component is left to the overlays that use it.
func TestDecodeKustomization(t *testing.T) {
	r := DecodePaths([]string{"../../deploy/kustomize"})
	k := kinds(r)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v", r.Errors)
	}
	// base, and the kube-prometheus-stack, without-prometheus-operator,
	// helm-history and policy-reports overlays (base again each; the
	// second leaves the monitors out).
	if k["Deployment/kube-reliability-exporter"] != 5 || k["ServiceMonitor/kube-reliability-exporter"] != 4 ||
		k["ClusterRole/kube-reliability-exporter-helm-history"] != 1 || k["ClusterRole/kube-reliability-exporter-policy-reports"] != 1 {
		t.Errorf("kustomize tree: %v", k)
	}
}

// Dependencies as Helm takes them: a condition or tag turned off leaves a
// subchart out, an alias renames it, import-values reach the parent;
// templates are named by the folder the user passed, with the line where
// the object starts in the rendered template. Missing dependencies stop
// the render with Helm's advice.
func TestDecodeHelmDependencies(t *testing.T) {
	dir := filepath.Join("..", "chart", "testdata", "shop")
	r := DecodePaths([]string{dir})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v", r.Errors)
	}
	got := map[string]Object{}
	for _, o := range r.Objects {
		got[o.Obj.GetObjectKind().GroupVersionKind().Kind+"/"+o.Obj.(interface{ GetName() string }).GetName()] = o
	}
	var names []string
	for k := range got {
		names = append(names, k)
	}
	slices.Sort(names)
	want := []string{"Deployment/release-queue-worker", "Deployment/release-web", "Service/release-web"}
	if !slices.Equal(names, want) {
		t.Fatalf("rendered %v, want %v (cache off by condition, metrics off by tag, worker aliased, the test hook left out)", names, want)
	}
	web := got["Deployment/release-web"]
	if web.File != filepath.Join(dir, "templates", "web.yaml") || web.Line != 10 {
		t.Errorf("web Deployment at %s:%d, want %s:10", web.File, web.Line, filepath.Join(dir, "templates", "web.yaml"))
	}
	if _, err := os.Stat(web.File); err != nil {
		t.Errorf("reported path does not exist: %v", err)
	}
	if w := got["Deployment/release-queue-worker"]; w.File != filepath.Join(dir, "charts", "worker", "templates", "deployment.yaml") {
		t.Errorf("subchart template at %s", w.File)
	}
	if n := *web.Obj.(*appsv1.Deployment).Spec.Replicas; n != 3 {
		t.Errorf("web replicas %d, want 3 imported from the worker's exports", n)
	}

	r = DecodePaths([]string{filepath.Join("..", "chart", "testdata", "missing-dep")})
	if len(r.Errors) != 1 || len(r.Objects) != 0 || !strings.Contains(r.Errors[0].Error(), "helm dependency build") ||
		!strings.Contains(r.Errors[0].Error(), "missing in charts/ directory: db") {
		t.Errorf("missing dependency: objects %d, errors %v", len(r.Objects), r.Errors)
	}
}
