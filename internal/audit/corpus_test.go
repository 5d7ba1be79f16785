package audit

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/golden"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

var updateCorpus = flag.Bool("update", false, "rewrite testdata/corpus/*.golden")

// corpus is other people's manifests, read where their projects publish
// them in Go modules (through the module proxy, never copied here): a
// Helm chart, a kustomization and plain files, as a new user would point
// audit at them. Google's microservices-demo, the OpenTelemetry demo and
// kubernetes/examples are not here: the module proxy refuses them (403).
var corpus = []struct {
	name, module, version string
	paths                 []string
	// deps are a chart's dependencies, laid into its charts/ folder as
	// `helm dependency build` would, from the modules that publish them.
	deps []dep
	// wantErr is the error an input must fail with, instead of findings.
	wantErr string
}{
	// Argo CD's HA folder as a user points audit at it: the rendered
	// install files beside the kustomizations they are built from, the
	// same objects in up to five places.
	{"argo-cd-ha", "github.com/argoproj/argo-cd/v3", "v3.1.0", []string{"manifests/ha"}, nil, ""},
	{"cert-manager-chart", "github.com/cert-manager/cert-manager", testenv.CertManagerVersion, []string{"deploy/charts/cert-manager"}, nil, ""},
	{"keda-kustomize", "github.com/kedacore/keda/v2", testenv.KEDAVersion, []string{"config/default"}, nil, ""},
	{"prometheus-operator-admission-webhook", "github.com/prometheus-operator/prometheus-operator", testenv.PrometheusOperatorVersion, []string{"example/admission-webhook"}, nil, ""},
	// The same operator in two example folders, and folders that share
	// objects: each object once, with its copies named.
	{"prometheus-operator-examples", "github.com/prometheus-operator/prometheus-operator", testenv.PrometheusOperatorVersion,
		[]string{"example/rbac/prometheus-operator", "example/non-rbac", "example/shards", "example/thanos"}, nil, ""},
	// The prometheus chart with its four subcharts in place, and without:
	// a chart whose dependencies were never built is an error with Helm's
	// advice, never a score over what little rendered.
	{"prometheus-chart", promCharts, promChartsVersion, []string{"charts/prometheus"}, []dep{
		{promCharts, promChartsVersion, "charts/alertmanager"},
		{promCharts, promChartsVersion, "charts/kube-state-metrics"},
		{promCharts, promChartsVersion, "charts/prometheus-node-exporter"},
		{promCharts, promChartsVersion, "charts/prometheus-pushgateway"},
	}, ""},
	{"prometheus-chart-without-dependencies", promCharts, promChartsVersion, []string{"charts/prometheus"}, nil,
		"missing in charts/ directory: alertmanager, kube-state-metrics, prometheus-node-exporter, prometheus-pushgateway"},
	// kube-prometheus-stack with every dependency present: the Windows
	// exporter's condition (windowsMonitoring.enabled) is false by default,
	// so none of its objects may be reported. Grafana comes from its new
	// home at the newest chart there (13.0.1 where 12.11.2 is pinned):
	// Helm checks a dependency's presence, not its version, at install.
	{"kube-prometheus-stack-chart", promCharts, promChartsVersion, []string{"charts/kube-prometheus-stack"}, []dep{
		{promCharts, promChartsVersion, "charts/kube-state-metrics"},
		{promCharts, promChartsVersion, "charts/prometheus-node-exporter"},
		{promCharts, promChartsVersion, "charts/prometheus-windows-exporter"},
		{"github.com/grafana-community/helm-charts", "v0.0.0-20260829030558-dbf9f4fb5fa1", "charts/grafana"},
	}, ""},
	// A Bitnami chart: its library dependency is enabled by a tag.
	{"bitnami-redis-chart", bitnamiCharts, bitnamiChartsVersion, []string{"bitnami/redis"}, []dep{
		{bitnamiCharts, bitnamiChartsVersion, "bitnami/common"},
	}, ""},
	// Istio's bookinfo sample, the plain-files case.
	{"istio-bookinfo", "istio.io/istio", "v0.0.0-20260827124520-eed52ebb66ad", []string{"samples/bookinfo/platform/kube/bookinfo.yaml"}, nil, ""},
}

// The chart monorepos hold no go.mod; the module proxy serves them at a
// commit's pseudo-version (prometheus-community/helm-charts ed5d7d9,
// bitnami/charts c0703da, both Apache-2.0).
const (
	promCharts           = "github.com/prometheus-community/helm-charts"
	promChartsVersion    = "v0.0.0-20260828105119-ed5d7d9b5933"
	bitnamiCharts        = "github.com/bitnami/charts"
	bitnamiChartsVersion = "v0.0.0-20260907150927-c0703daaf78e"
)

// dep is a chart dependency: the module and the chart's folder in it.
type dep struct{ module, version, path string }

// vendorChart copies the chart at path in root, with deps in its charts/
// folder, into a temporary tree of the same layout, and returns that
// tree's root.
func vendorChart(t *testing.T, root, path string, deps []dep) string {
	t.Helper()
	tmp := t.TempDir()
	dst := filepath.Join(tmp, filepath.FromSlash(path))
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(root, filepath.FromSlash(path)))); err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		src := filepath.Join(testenv.ModuleDir(t, d.module, d.version), filepath.FromSlash(d.path))
		if err := os.CopyFS(filepath.Join(dst, "charts", filepath.Base(d.path)), os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	}
	return tmp
}

// The regression corpus: audit's findings on each input match the
// reviewed list in testdata/corpus exactly (rule, severity, object, and
// the file and line relative to the module), so a duplicate, a finding of
// a disabled dependency or a wrong path cannot come back unnoticed; and
// whatever the list says, no input fails to decode, no finding repeats,
// and every path names a file that exists.
func TestRegressionCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads modules through the module proxy")
	}
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			root := testenv.ModuleDir(t, c.module, c.version)
			if c.deps != nil {
				root = vendorChart(t, root, c.paths[0], c.deps)
			}
			var inputs []string
			for _, p := range c.paths {
				inputs = append(inputs, filepath.Join(root, filepath.FromSlash(p)))
			}
			r := Run(inputs, nil, healthcheck.Config{})
			if c.wantErr != "" {
				if len(r.Errors) != 1 || !strings.Contains(r.Errors[0], c.wantErr) || len(r.Findings) > 0 {
					t.Errorf("errors %q and %d findings, want one error saying %q and none", r.Errors, len(r.Findings), c.wantErr)
				}
				return
			}
			if len(r.Errors) > 0 {
				t.Errorf("decode errors: %v", r.Errors)
			}
			var lines []string
			seen := map[string]bool{}
			for _, f := range r.Findings {
				file := ""
				if f.File != "" {
					on, _, _ := strings.Cut(f.File, "#")
					if _, err := os.Stat(on); err != nil {
						t.Errorf("%s %s/%s: file %s does not exist", f.Rule, f.Kind, f.Name, f.File)
					}
					rel, err := filepath.Rel(root, f.File)
					if err != nil {
						t.Fatal(err)
					}
					file = fmt.Sprintf(" %s:%d", filepath.ToSlash(rel), f.Line)
				}
				key := fmt.Sprintf("%s %s %s/%s/%s%s", f.Rule, f.Severity, f.Namespace, f.Kind, f.Name, file)
				if seen[key+f.Message] {
					t.Errorf("reported twice: %s", key)
				}
				seen[key+f.Message] = true
				lines = append(lines, key)
			}
			slices.Sort(lines)
			var b strings.Builder
			fmt.Fprintf(&b, "# audit %s@%s %s (go test ./internal/audit -run TestRegressionCorpus -update; review the diff)\n", c.module, c.version, strings.Join(c.paths, " "))
			for _, d := range c.deps {
				fmt.Fprintf(&b, "# dependency %s@%s %s\n", d.module, d.version, d.path)
			}
			fmt.Fprintf(&b, "# %d objects analysed, %d not analysed, %d findings, score %s over %d workloads\n",
				r.Objects, len(r.NotAnalysed), len(r.Findings), formatScore(r.Score.Cluster), r.Score.Workloads)
			for _, l := range lines {
				b.WriteString(l + "\n")
			}
			golden.Check(t, filepath.Join("testdata", "corpus", c.name+".golden"), []byte(b.String()), *updateCorpus, "go test ./internal/audit -run TestRegressionCorpus -update")
		})
	}
}
