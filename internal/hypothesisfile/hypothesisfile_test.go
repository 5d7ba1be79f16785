package hypothesisfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// families stands for the exporter's served families.
func families(name string) ([]string, bool) {
	switch name {
	case "kube_reliability_workload_ready_after_zone_loss", "kube_reliability_workload_single_node":
		return []string{"namespace", "owner_kind", "owner_name"}, true
	case "kube_reliability_nodes_drain_blocked":
		return nil, true
	}
	return nil, false
}

var builtins = []string{"survives-node-loss", "no-node-drain-blocked"}

func TestLoadExample(t *testing.T) {
	t.Parallel()
	hs, err := Load("testdata/hypotheses.yaml", families, builtins)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hs {
		got = append(got, h.Name+" @"+strconv.Itoa(h.Line)+": "+h.Expression())
	}
	want := []string{
		`checkout-survives-zone-loss @3: min(kube_reliability_workload_ready_after_zone_loss{namespace="shop",owner_name="checkout"}) >= 2`,
		`shop-spread @10: kube_reliability_workload_single_node{namespace=~"shop|shop-.*"} == 0`,
		`few-blocked-drains @16: sum(kube_reliability_nodes_drain_blocked) <= 2`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Every mistake is rejected with the file, the line and what is wrong.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	h := func(body string) string {
		return "hypotheses:\n  - name: x\n" + body
	}
	ok := "    family: kube_reliability_workload_single_node\n    comparison: \"==\"\n    threshold: 0\n"
	tests := []struct{ name, data, want string }{
		{"empty", "", "f.yaml: empty: want a mapping with a hypotheses list"},
		{"not yaml", "hypotheses: [", "f.yaml: yaml: line 1: did not find expected node content"},
		{"list at top", "- a\n", "f.yaml:1: want a mapping with a hypotheses list"},
		{"unknown top key", "hypothesis: []\n", `f.yaml:1: unknown key "hypothesis" (want hypotheses)`},
		{"unknown family", h("    family: kube_reliability_nope\n    comparison: \"==\"\n    threshold: 0\n"),
			`f.yaml:3: hypothesis "x": unknown family "kube_reliability_nope" (not served by an enabled collector; docs/metrics.md lists them)`},
		{"bad matcher operator", h(ok + "    matchers: ['namespace~\"shop\"']\n"),
			`f.yaml:6: hypothesis "x": matcher "namespace~\"shop\"": want label="value", label!="value", label=~"regexp" or label!~"regexp"`},
		{"unquoted matcher", h(ok + "    matchers: ['namespace=shop']\n"),
			`f.yaml:6: hypothesis "x": matcher "namespace=shop": the value must be double-quoted`},
		{"bad regexp", h(ok + "    matchers: ['namespace=~\"(\"']\n"),
			"f.yaml:6: hypothesis \"x\": matcher \"namespace=~\\\"(\\\"\": regexp: error parsing regexp: missing closing ): `^(?:()$`"},
		{"label not in family", h(ok + "    matchers: ['node=\"a\"']\n"),
			`f.yaml:6: hypothesis "x": matcher "node=\"a\"": family kube_reliability_workload_single_node has no label "node" (it has namespace, owner_kind, owner_name)`},
		{"unknown key", h(ok + "    threshhold: 1\n"), `f.yaml:6: unknown key "threshhold" (want name, description, family, matchers, aggregation, comparison, threshold)`},
		{"missing comparison", h("    family: kube_reliability_workload_single_node\n    threshold: 0\n"), "f.yaml:2: comparison is required"},
		{"bad comparison", h("    family: kube_reliability_workload_single_node\n    comparison: \"=>\"\n    threshold: 0\n"),
			`f.yaml:4: hypothesis "x": comparison "=>": want one of == != < <= > >=`},
		{"bad aggregation", h(ok + "    aggregation: median\n"), `f.yaml:6: hypothesis "x": aggregation "median": want sum, min, max, avg or count (or none: every series)`},
		{"threshold not a number", h("    family: kube_reliability_workload_single_node\n    comparison: \"==\"\n    threshold: many\n"),
			`f.yaml:5: hypothesis "x": threshold "many": not a number`},
		{"threshold NaN", h("    family: kube_reliability_workload_single_node\n    comparison: \"==\"\n    threshold: NaN\n"),
			`f.yaml:5: hypothesis "x": threshold "NaN": not a number`},
		{"bad name", "hypotheses:\n  - name: Bad_Name\n" + ok, `f.yaml:2: name "Bad_Name": want lower-case letters, digits and dashes, at most 63 (it is a URL path and a label value)`},
		{"built-in name", "hypotheses:\n  - name: survives-node-loss\n" + ok, `f.yaml:2: hypothesis "survives-node-loss": the name of a built-in hypothesis`},
		{"duplicate", "hypotheses:\n  - name: x\n" + ok + "  - name: x\n" + ok, `f.yaml:6: hypothesis "x": defined twice (first on line 2)`},
		{"matchers not a list", h(ok + "    matchers: 'namespace=\"a\"'\n"), `f.yaml:6: matchers: want a list like ['namespace="shop"', 'owner_name=~"web-.*"']`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("f.yaml", []byte(tt.data), families, builtins)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error\n%v\nwant\n%s", err, tt.want)
			}
		})
	}
}

// A huge file is refused before it is parsed; so are too many hypotheses.
func TestHostileFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("hypotheses:\n"+strings.Repeat("# padding\n", MaxFileBytes/10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, families, nil); err == nil || !strings.Contains(err.Error(), "big.yaml: larger than 1048576 bytes") {
		t.Errorf("huge file: %v", err)
	}
	var b strings.Builder
	b.WriteString("hypotheses:\n")
	for i := range MaxHypotheses + 1 {
		b.WriteString("  - {name: h" + strings.Repeat("x", i%5) + ", family: kube_reliability_nodes_drain_blocked, comparison: '==', threshold: 0}\n")
	}
	if _, err := Parse("many.yaml", []byte(b.String()), families, nil); err == nil || err.Error() != "many.yaml:2: 201 hypotheses, at most 200" {
		t.Errorf("too many: %v", err)
	}
	// A billion-laughs alias bomb is refused by the YAML decoder.
	bomb := "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\nhypotheses: *i\n"
	if _, err := Parse("bomb.yaml", []byte(bomb), families, nil); err == nil {
		t.Error("alias bomb accepted")
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), families, nil); err == nil || !strings.Contains(err.Error(), "hypotheses file: open ") {
		t.Errorf("missing file: %v", err)
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	s := func(ns, name string, v float64) Sample {
		return Sample{Labels: []Label{{"namespace", ns}, {"owner_kind", "Deployment"}, {"owner_name", name}}, Value: v}
	}
	samples := []Sample{s("shop", "checkout", 1), s("shop", "cart", 2), s("shop-eu", "search", 0), s("ops", "grafana", 0)}
	m := func(str string) Matcher {
		mt, err := ParseMatcher(str)
		if err != nil {
			t.Fatal(err)
		}
		return mt
	}
	shop := []Matcher{m(`namespace=~"shop.*"`)}
	tests := []struct {
		name string
		h    Hypothesis
		want Verdict
	}{
		{"every, failing", Hypothesis{Matchers: shop, Comparison: ">=", Threshold: 1},
			Verdict{Holds: false, Observed: 1, Selected: 3, Offenders: []string{`{namespace="shop-eu",owner_kind="Deployment",owner_name="search"} 0`}}},
		{"every, holding", Hypothesis{Matchers: []Matcher{m(`namespace="shop"`)}, Comparison: ">=", Threshold: 1},
			Verdict{Holds: true, Observed: 0, Selected: 2}},
		{"min", Hypothesis{Matchers: shop, Aggregation: "min", Comparison: ">=", Threshold: 1},
			Verdict{Holds: false, Observed: 0, Selected: 3, Offenders: []string{`{namespace="shop-eu",owner_kind="Deployment",owner_name="search"} 0`}}},
		{"max", Hypothesis{Aggregation: "max", Comparison: "<=", Threshold: 2}, Verdict{Holds: true, Observed: 2, Selected: 4}},
		{"sum", Hypothesis{Matchers: shop, Aggregation: "sum", Comparison: "<", Threshold: 3},
			Verdict{Holds: false, Observed: 3, Selected: 3, Offenders: []string{
				`{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 1`, `{namespace="shop",owner_kind="Deployment",owner_name="cart"} 2`}}},
		{"avg", Hypothesis{Aggregation: "avg", Comparison: "==", Threshold: 0.75}, Verdict{Holds: true, Observed: 0.75, Selected: 4}},
		{"count", Hypothesis{Matchers: []Matcher{m(`owner_name!~"c.*"`)}, Aggregation: "count", Comparison: "==", Threshold: 2},
			Verdict{Holds: true, Observed: 2, Selected: 2}},
		{"count of nothing is 0", Hypothesis{Matchers: []Matcher{m(`namespace="none"`)}, Aggregation: "count", Comparison: "==", Threshold: 0},
			Verdict{Holds: true}},
		{"nothing selected is unknown", Hypothesis{Family: "f", Matchers: []Matcher{m(`namespace="none"`)}, Aggregation: "min", Comparison: ">=", Threshold: 1},
			Verdict{Unknown: "no series of f match the matchers"}},
		{"a label absent is empty", Hypothesis{Matchers: []Matcher{m(`node=""`)}, Aggregation: "count", Comparison: "==", Threshold: 4},
			Verdict{Holds: true, Observed: 4, Selected: 4}},
		{"!=", Hypothesis{Matchers: []Matcher{m(`namespace!="ops"`)}, Aggregation: "count", Comparison: "!=", Threshold: 3},
			Verdict{Holds: false, Observed: 3, Selected: 3, Offenders: []string{
				`{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 1`, `{namespace="shop",owner_kind="Deployment",owner_name="cart"} 2`,
				`{namespace="shop-eu",owner_kind="Deployment",owner_name="search"} 0`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.h.Evaluate(samples); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	t.Parallel()
	name, s, err := ParseLine(`kube_reliability_x{a="1",b="q\"uo\\te\nd"} 2.5`)
	if err != nil || name != "kube_reliability_x" || s.Value != 2.5 || !reflect.DeepEqual(s.Labels, []Label{{"a", "1"}, {"b", "q\"uo\\te\nd"}}) {
		t.Errorf("got %q %+v %v", name, s, err)
	}
	if name, s, err := ParseLine(`kube_reliability_y 1`); err != nil || name != "kube_reliability_y" || s.Value != 1 || s.Labels != nil {
		t.Errorf("no labels: %q %+v %v", name, s, err)
	}
	for _, bad := range []string{"", " 1", "x{a=1} 2", `x{a="1"`, `x{a="1"}`, `x{a="1"} one`, `x{="1"} 1`, `x{a="1} 1`} {
		if _, _, err := ParseLine(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
