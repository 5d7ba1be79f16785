package collector

import (
	"bytes"
	"flag"
	"regexp"
	"strings"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/golden"
)

var update = flag.Bool("update", false, "rewrite generated docs and golden files")

// TestMetricsDoc fails when docs/metrics.md differs from the registry.
func TestMetricsDoc(t *testing.T) {
	var b bytes.Buffer
	if err := MarkdownReference(&b); err != nil {
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
