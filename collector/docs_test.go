package collector

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/golden"
)

var update = flag.Bool("update", false, "rewrite generated docs and golden files")

// TestMetricsDoc fails when docs/metrics.md differs from the registry.
func TestMetricsDoc(t *testing.T) {
	var b bytes.Buffer
	if err := MarkdownReferenceWithAlerts(&b, alertsByMetric(t)); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "../docs/metrics.md", b.Bytes(), *update, "make generate")
}

var validName = regexp.MustCompile(`^kube_reliability_[a-z0-9_]+$`)

// TestSpecsFollowNaming checks every declared family against the naming
// rules: prefix, snake_case, _total only on counters, help ending in a
// period, a stated cardinality bound, unique names.
func TestSpecsFollowNaming(t *testing.T) {
	seen := map[string]string{}
	check := func(owner string, m MetricSpec) {
		if prev, dup := seen[m.Name]; dup {
			t.Errorf("%s declared by %s and %s", m.Name, prev, owner)
		}
		seen[m.Name] = owner
		if !validName.MatchString(m.Name) {
			t.Errorf("%s: not kube_reliability_ snake_case", m.Name)
		}
		if strings.HasSuffix(m.Name, "_total") != (m.Type == Counter) {
			t.Errorf("%s: _total is for counters and counters only", m.Name)
		}
		if !strings.HasSuffix(m.Help, ".") || m.Bound == "" || m.Stability == "" {
			t.Errorf("%s: help must end with a period, bound and stability must be set", m.Name)
		}
		for _, l := range m.Labels {
			if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(l) {
				t.Errorf("%s: label %q is not snake_case", m.Name, l)
			}
		}
	}
	for _, m := range MetaSpecs {
		check("meta", m)
	}
	for _, s := range All {
		for _, m := range s.Metrics {
			check(s.Name, m)
		}
	}
}

var metricName = regexp.MustCompile(`kube_reliability_[a-z0-9_]+`)

// alertsByMetric reads alerts/*.rules.yml: the alerts whose expressions
// name each metric, sorted.
func alertsByMetric(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("../alerts/*.rules.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("alert rules: %v (%d files)", err, len(files))
	}
	out := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf struct {
			Groups []struct {
				Rules []struct {
					Alert, Expr string
					// A debt alert fires on the findings' counts; the
					// per-object series it is about are in objects_query.
					Annotations struct {
						ObjectsQuery string `json:"objects_query"`
					}
				}
			}
		}
		if err := yaml.Unmarshal(data, &rf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				for _, m := range metricName.FindAllString(r.Expr+" "+r.Annotations.ObjectsQuery, -1) {
					if !slices.Contains(out[m], r.Alert) {
						out[m] = append(out[m], r.Alert)
					}
				}
			}
		}
	}
	for m := range out {
		slices.Sort(out[m])
	}
	return out
}

// The example queries name only declared families, and every alert's
// metric is one too.
func TestQueriesAndAlertsNameDeclaredMetrics(t *testing.T) {
	declared := map[string]bool{}
	for _, m := range MetaSpecs {
		declared[m.Name] = true
	}
	for _, s := range All {
		for _, m := range s.Metrics {
			declared[m.Name] = true
		}
	}
	for _, q := range Queries {
		names := metricName.FindAllString(q.PromQL, -1)
		if len(names) == 0 {
			t.Errorf("%q names no metric", q.PromQL)
		}
		for _, n := range names {
			if !declared[n] {
				t.Errorf("%q: %s is not declared", q.PromQL, n)
			}
		}
	}
	alerts := alertsByMetric(t)
	if len(alerts) < 30 {
		t.Errorf("alerts read %d metrics: the rules were not parsed", len(alerts))
	}
	for m := range alerts {
		if !declared[m] && !strings.HasSuffix(m, "_bucket") {
			t.Errorf("an alert reads %s, which no collector declares", m)
		}
	}
}
