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
// audit at them.
var corpus = []struct {
	name, module, version string
	paths                 []string
}{
	// Argo CD's HA folder as a user points audit at it: the rendered
	// install files beside the kustomizations they are built from, the
	// same objects in up to five places.
	{"argo-cd-ha", "github.com/argoproj/argo-cd/v3", "v3.1.0", []string{"manifests/ha"}},
	{"cert-manager-chart", "github.com/cert-manager/cert-manager", testenv.CertManagerVersion, []string{"deploy/charts/cert-manager"}},
	{"keda-kustomize", "github.com/kedacore/keda/v2", testenv.KEDAVersion, []string{"config/default"}},
	{"prometheus-operator-admission-webhook", "github.com/prometheus-operator/prometheus-operator", testenv.PrometheusOperatorVersion, []string{"example/admission-webhook"}},
	// The same operator in two example folders, and folders that share
	// objects: each object once, with its copies named.
	{"prometheus-operator-examples", "github.com/prometheus-operator/prometheus-operator", testenv.PrometheusOperatorVersion,
		[]string{"example/rbac/prometheus-operator", "example/non-rbac", "example/shards", "example/thanos"}},
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
			var inputs []string
			for _, p := range c.paths {
				inputs = append(inputs, filepath.Join(root, filepath.FromSlash(p)))
			}
			r := Run(inputs, nil, healthcheck.Config{})
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
			fmt.Fprintf(&b, "# %d objects analysed, %d not analysed, %d findings, score %s over %d workloads\n",
				r.Objects, len(r.NotAnalysed), len(r.Findings), formatScore(r.Score.Cluster), r.Score.Workloads)
			for _, l := range lines {
				b.WriteString(l + "\n")
			}
			golden.Check(t, filepath.Join("testdata", "corpus", c.name+".golden"), []byte(b.String()), *updateCorpus, "go test ./internal/audit -run TestRegressionCorpus -update")
		})
	}
}
