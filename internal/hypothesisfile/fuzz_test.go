package hypothesisfile

import (
	"os"
	"testing"
)

// FuzzParse: any file gets a verdict or an error naming the file; never a
// panic. Seeds: the example file and the shapes of TestParseErrors.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/hypotheses.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("hypotheses:\n  - {name: x, family: kube_reliability_workload_single_node, matchers: ['namespace=~\"a|b\"'], comparison: '==', threshold: 0}\n"))
	f.Add([]byte("hypotheses: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, err := Parse("f.yaml", data, families, builtins)
		if err != nil {
			if len(err.Error()) < len("f.yaml") || err.Error()[:6] != "f.yaml" {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, h := range hs {
			h.Evaluate([]Sample{{Labels: []Label{{"namespace", "a"}}, Value: 1}})
		}
	})
}

// FuzzParseLine: any line parses or is refused; what parses renders back
// to a line that parses to the same sample.
func FuzzParseLine(f *testing.F) {
	f.Add(`kube_reliability_x{a="1",b="q\"uo\\te\nd"} 2.5`)
	f.Add(`kube_reliability_y 1`)
	f.Add(`x{a="1"`)
	f.Fuzz(func(t *testing.T, line string) {
		name, s, err := ParseLine(line)
		if err != nil {
			return
		}
		name2, s2, err := ParseLine(name + s.String())
		if err != nil || name2 != name || s2.String() != s.String() {
			t.Fatalf("%q: round trip %q %+v %v", line, name2, s2, err)
		}
	})
}

// FuzzParseMatcher: no panic, and a parsed matcher renders back to itself.
func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{`namespace="shop"`, `a!~"x.*"`, `a=~"("`, `a=b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatcher(s)
		if err != nil {
			return
		}
		m2, err := ParseMatcher(m.String())
		if err != nil || m2.String() != m.String() {
			t.Fatalf("%q: round trip %q: %v", s, m.String(), err)
		}
		m.Matches("shop")
	})
}
