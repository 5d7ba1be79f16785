package versiontable

import "testing"

func TestParseAndAffecting(t *testing.T) {
	t.Parallel()
	tab, err := Parse([]byte(`revision: 3
issues:
  - {id: a, kind: vulnerability, affected: [{from: 1.0.0, to: 1.2.3}, {from: 2.0.0, to: 2.0.0}], fixed: [1.2.4, 2.0.1], severity: critical, summary: s, source: "https://example.test/a"}
  - {id: b, kind: end-of-life, affected: [{from: 0.0.0, to: 1.999.999}], severity: warning, summary: s, source: "https://example.test/b"}
`))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"v1.2.3-chainguard": "ab", "1.2.4": "b", "2.0.0": "a", "2.0.1": "", "0.9.0": "b"} {
		v, err := ParseVersion(in)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, is := range tab.Affecting(v) {
			got += is.ID
		}
		if got != want {
			t.Errorf("%s: affected by %q, want %q", in, got, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for name, y := range map[string]string{
		"revision 0": `revision: 0`,
		"no source":  `{revision: 1, issues: [{id: a, kind: bug, affected: [{from: 1.0.0, to: 1.0.0}], severity: warning, summary: s}]}`,
		"not a URL":  `{revision: 1, issues: [{id: a, kind: bug, affected: [{from: 1.0.0, to: 1.0.0}], severity: warning, summary: s, source: "see the changelog"}]}`,
		"fixed in":   `{revision: 1, issues: [{id: a, kind: bug, affected: [{from: 1.0.0, to: 1.0.9}], fixed: [1.0.5], severity: warning, summary: s, source: "https://x.test"}]}`,
		"bad fixed":  `{revision: 1, issues: [{id: a, kind: bug, affected: [{from: 1.0.0, to: 1.0.9}], fixed: [one], severity: warning, summary: s, source: "https://x.test"}]}`,
	} {
		if _, err := Parse([]byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
