package alerts

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/golden"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
)

var update = flag.Bool("update", false, "rewrite the rendered PrometheusRule")

// promtool is Debian's, installed by .ci/run; its absence is a failure,
// never a skip.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (apt-get install prometheus, or run .ci/run): %v", err)
	}
	return p
}

func TestPromtoolCheckAndUnitTests(t *testing.T) {
	bin := promtool(t)
	files, _ := filepath.Glob("*.rules.yml")
	tests, _ := filepath.Glob("tests/*_test.yml")
	if len(files) == 0 || len(tests) == 0 {
		t.Fatal("no rule files or rule tests found")
	}
	for _, args := range [][]string{append([]string{"check", "rules"}, files...), append([]string{"test", "rules"}, tests...)} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

var metricName = regexp.MustCompile(`\bkube_reliability_[a-z0-9_]+`)

// Every alert carries severity, summary, description and a runbook link
// whose section exists, every alert has a promtool test, and every
// kube_reliability_ name in an expression is a metric the exporter has.
func TestRulesAreComplete(t *testing.T) {
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	runbooks, err := os.ReadFile("../docs/runbooks.md")
	if err != nil {
		t.Fatal(err)
	}
	var ruleTests []byte
	testFiles, _ := filepath.Glob("tests/*_test.yml")
	for _, f := range testFiles {
		b, _ := os.ReadFile(f)
		ruleTests = append(ruleTests, b...)
	}
	known := map[string]bool{}
	for _, m := range collector.MetaSpecs {
		known[m.Name] = true
	}
	for _, s := range collector.All {
		for _, m := range s.Metrics {
			known[m.Name] = true
		}
	}
	n := 0
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				n++
				if r.For == "" {
					t.Errorf("%s: needs a for: (how long the condition must hold)", r.Alert)
				}
				if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
					t.Errorf("%s: needs severity, summary and description", r.Alert)
				}
				anchor := strings.ToLower(r.Alert)
				if !strings.HasSuffix(r.Annotations["runbook_url"], "docs/runbooks.md#"+anchor) {
					t.Errorf("%s: runbook_url %q does not point at docs/runbooks.md#%s", r.Alert, r.Annotations["runbook_url"], anchor)
				}
				if !bytes.Contains(runbooks, []byte("\n## "+r.Alert+"\n")) {
					t.Errorf("%s: no runbook section in docs/runbooks.md", r.Alert)
				}
				if !bytes.Contains(ruleTests, []byte("alertname: "+r.Alert+"\n")) {
					t.Errorf("%s: no promtool test in alerts/tests", r.Alert)
				}
				for _, name := range metricName.FindAllString(r.Expr, -1) {
					if !known[name] {
						t.Errorf("%s: expression uses %s, which the exporter does not export", r.Alert, name)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerts found")
	}
}

func TestPrometheusRuleRendered(t *testing.T) {
	got, err := PrometheusRule("kube-reliability")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "../deploy/kustomize/base/prometheusrule.yaml", got, *update, "make generate")
}

// Every runbook section helps at 3 a.m.: what it means, why it matters,
// how to confirm it (the PromQL and a command to run on the cluster),
// how to fix it and how to silence it, in that order.
func TestRunbookSectionsComplete(t *testing.T) {
	b, err := os.ReadFile("../docs/runbooks.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(string(b), "\n## ")[1:]
	if len(sections) < 50 {
		t.Fatalf("%d runbook sections: the split found too few to prove anything", len(sections))
	}
	parts := []string{"**Meaning.**", "**Why it matters.**", "**Confirm.**", "**Fix.**", "**Silence.**"}
	promql := regexp.MustCompile("`[^`]*(kube_reliability_|up\\{|absent\\()[^`]*`")
	command := regexp.MustCompile("`[^`]*\\b(kubectl|etcdctl|openssl|curl|helm)\\b[^`]*`")
	silence := regexp.MustCompile("`amtool silence add alertname=")
	for _, sec := range sections {
		name, _, _ := strings.Cut(sec, "\n")
		last := -1
		for _, p := range parts {
			i := strings.Index(sec, p)
			if i < 0 {
				t.Errorf("%s: no %s", name, p)
				continue
			}
			if i < last {
				t.Errorf("%s: %s out of order", name, p)
			}
			last = i
		}
		confirm, _, _ := strings.Cut(sec[max(strings.Index(sec, "**Confirm.**"), 0):], "**Fix.**")
		if !promql.MatchString(confirm) {
			t.Errorf("%s: Confirm has no PromQL", name)
		}
		if !command.MatchString(confirm) {
			t.Errorf("%s: Confirm has no command to run", name)
		}
		if !silence.MatchString(sec) {
			t.Errorf("%s: Silence has no amtool matcher line", name)
		}
	}
}

// The metric reference's example queries parse as PromQL: promtool checks
// them as recording rules.
func TestExampleQueriesParse(t *testing.T) {
	bin := promtool(t)
	var b strings.Builder
	b.WriteString("groups:\n  - name: examples\n    rules:\n")
	for i, q := range collector.Queries {
		fmt.Fprintf(&b, "      - record: example:query_%d\n        expr: %q\n", i, q.PromQL)
	}
	file := filepath.Join(t.TempDir(), "examples.rules.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}

// Two kinds of alert, said in the rules: configuration debt fires once
// per namespace and rule from the findings' counts (so an accepted
// finding never fires) and never pages; an incident may. Every alert
// whose series carry a namespace joins the namespace's owner.
func TestAlertClasses(t *testing.T) {
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, r := range findings.Catalog {
		rules[r.ID] = true
	}
	selector := regexp.MustCompile(`kube_reliability_namespace_finding_objects\{rule(=~?)"([^"]+)"\}`)
	doc, err := os.ReadFile("../docs/alerting.md")
	if err != nil {
		t.Fatal(err)
	}
	debt := 0
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				inTable := bytes.Contains(doc, []byte("| `"+r.Alert+"` |"))
				switch r.Labels["class"] {
				case "debt":
					debt++
					if !inTable {
						t.Errorf("%s: debt, but not in docs/alerting.md's table", r.Alert)
					}
					if s := r.Labels["severity"]; s != "warning" && s != "info" {
						t.Errorf("%s: configuration debt with severity %s: debt never pages", r.Alert, s)
					}
					if r.KeepFiringFor == "" {
						t.Errorf("%s: a debt alert needs keep_firing_for, or every exporter restart resolves and re-fires it", r.Alert)
					}
					if !strings.Contains(r.Expr, "group_left (owner)") {
						t.Errorf("%s: does not join the namespace's owner", r.Alert)
					}
					if r.Annotations["objects_query"] == "" {
						t.Errorf("%s: no objects_query annotation listing every object", r.Alert)
					}
					for _, m := range selector.FindAllStringSubmatch(r.Expr, -1) {
						re := regexp.MustCompile("^(?:" + m[2] + ")$")
						matched := 0
						for id := range rules {
							if re.MatchString(id) {
								matched++
							}
						}
						if matched == 0 {
							t.Errorf("%s: rule selector %q matches no rule of the findings catalog", r.Alert, m[2])
						}
					}
				case "incident":
					if inTable {
						t.Errorf("%s: an incident, listed as debt in docs/alerting.md", r.Alert)
					}
				default:
					t.Errorf("%s: class %q, want debt or incident", r.Alert, r.Labels["class"])
				}
			}
		}
	}
	if debt < 15 {
		t.Errorf("%d debt alerts: the classes are not said", debt)
	}
}
