package findings

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/findings.md")

// Every rule the code can report is in the catalog, and nothing else.
func TestCatalogComplete(t *testing.T) {
	var src []byte
	for _, f := range []string{"findings.go", "../audit/audit.go", "../audit/dedupe.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	ids := regexp.MustCompile(`"((?:placement|disruption|autoscaling|rollout|resources|ingress|health|certificates|api|input|workload)/[a-z-]+)"`).FindAllSubmatch(src, -1)
	inCode := map[string]bool{"health/no-liveness-probe": true, "health/no-readiness-probe": true} // "health/no-"+probe+"-probe"
	for _, m := range ids {
		if id := string(m[1]); id != "health/no-" {
			inCode[id] = true
		}
	}
	var inCatalog []string
	for _, r := range Catalog {
		inCatalog = append(inCatalog, r.ID)
		if !inCode[r.ID] {
			t.Errorf("catalog rule %s is reported nowhere", r.ID)
		}
		if r.Title == "" || len(r.Help) < 40 {
			t.Errorf("%s: title %q, help %q", r.ID, r.Title, r.Help)
		}
	}
	for id := range inCode {
		if !slices.Contains(inCatalog, id) {
			t.Errorf("rule %s is reported but not in the catalog (code scanning would show no help for it)", id)
		}
	}
}

// docs/findings.md is the catalog, one section per rule.
func TestFindingsDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Findings\n\n<!-- Generated from internal/findings/catalog.go by go test ./internal/findings -run TestFindingsDoc -update; do not edit. -->\n\n")
	b.WriteString("What audit (`kube-reliability-exporter audit`, text, JSON, SARIF for code scanning or PolicyReports\n" +
		"for Kyverno's Policy Reporter) and the live reliability score report, by rule id. Each SARIF rule's `helpUri` links to its section here.\n\n" +
		"## Accepting a finding\n\n" +
		"Where a finding is known and accepted, say so on the object or in one file; either way the finding no\n" +
		"longer fails an audit, lowers the audit's or the live score, or counts in `kube_reliability_findings`:\n" +
		"audit lists it under `ignored` (JSON), as a suppressed result (SARIF: `inSource` for the annotation,\n" +
		"`external` for the file) and as a `skip` result (PolicyReport), and central counts it in `kube_reliability_findings_ignored{rule}`, so accepted\n" +
		"debt stays visible. The measurements themselves (`kube_reliability_workload_single_node` and the\n" +
		"other per-object series) are still exported: they say what is, and dashboards and hypotheses read them;\n" +
		"alerts built on them are silenced in Alertmanager (docs/runbooks.md, each section's Silence).\n\n" +
		"- **On the object**: the annotation `reliability.kube-reliability.io/ignore` with a comma-separated list\n" +
		"  of rule ids or patterns (`disruption/no-pdb`, `placement/*`, `*`), on the object the finding names\n" +
		"  (the Deployment, StatefulSet or DaemonSet; the PodDisruptionBudget; the Namespace for quota findings).\n" +
		"- **In a file** (`RELIABILITY_EXEMPTIONS_FILE`, for audit, central and demo): patterns as Go's `path.Match`\n" +
		"  (empty or `*`: any), a reason required; an unknown rule or field is an error at start-up naming the entry.\n\n" +
		"```yaml\nexemptions:\n  - rule: resources/no-*\n    namespace: kube-*\n    reason: system namespaces are sized by the platform team\n" +
		"  - rule: disruption/no-pdb\n    kind: Deployment\n    namespace: batch\n    name: nightly-*\n    reason: batch jobs restart from their checkpoint\n```\n")
	for _, r := range Catalog {
		fmt.Fprintf(&b, "\n<a id=%q></a>\n\n## %s: %s\n\n%s\n", Anchor(r.ID), r.ID, r.Title, r.Help)
	}
	const path = "../../docs/findings.md"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != b.String() {
		t.Errorf("%s is stale (go test ./internal/findings -run TestFindingsDoc -update): %v", path, err)
	}
}

// Ignores: the annotation names rules or patterns for its object; an
// exemption matches rule, kind, namespace and name patterns; a wrong
// exemptions file is an error naming the entry.
func TestIgnores(t *testing.T) {
	x := Ignores{
		Annotations: map[string]string{"Deployment/shop/cart": "disruption/no-pdb, placement/*", "Namespace//sandbox": "*"},
		Exemptions:  []Exemption{{Rule: "resources/no-*", Namespace: "kube-*", Reason: "system namespaces are sized by the platform"}},
	}
	for _, c := range []struct {
		f    Finding
		want string
	}{
		{Finding{Rule: "disruption/no-pdb", Kind: "Deployment", Namespace: "shop", Name: "cart"}, "annotation " + IgnoreAnnotation},
		{Finding{Rule: "placement/single-node", Kind: "Deployment", Namespace: "shop", Name: "cart"}, "annotation " + IgnoreAnnotation},
		{Finding{Rule: "health/no-liveness-probe", Kind: "Deployment", Namespace: "shop", Name: "cart"}, ""},
		{Finding{Rule: "disruption/no-pdb", Kind: "Deployment", Namespace: "shop", Name: "web"}, ""},
		{Finding{Rule: "resources/no-resourcequota", Kind: "Namespace", Name: "sandbox"}, "annotation " + IgnoreAnnotation},
		{Finding{Rule: "resources/no-requests", Kind: "DaemonSet", Namespace: "kube-system", Name: "proxy"}, "exemption: system namespaces are sized by the platform"},
		{Finding{Rule: "resources/no-requests", Kind: "DaemonSet", Namespace: "shop", Name: "proxy"}, ""},
	} {
		if got := x.Why(c.f); got != c.want {
			t.Errorf("%+v: ignored %q, want %q", c.f, got, c.want)
		}
	}
	kept, ignored := x.Split([]Finding{{Rule: "disruption/no-pdb", Kind: "Deployment", Namespace: "shop", Name: "cart"}, {Rule: "disruption/no-pdb", Kind: "Deployment", Namespace: "shop", Name: "web"}})
	if len(kept) != 1 || kept[0].Name != "web" || len(ignored) != 1 || ignored[0].Ignored == "" {
		t.Errorf("split: kept %+v ignored %+v", kept, ignored)
	}

	if ex, err := ParseExemptions([]byte("exemptions:\n- rule: disruption/no-pdb\n  namespace: batch-*\n  reason: jobs restart\n")); err != nil || len(ex) != 1 || ex[0].Namespace != "batch-*" {
		t.Errorf("parse: %+v %v", ex, err)
	}
	for _, bad := range []string{
		"exemptions:\n- rule: disruption/no-pdb\n",                 // no reason
		"exemptions:\n- rule: disruption/no-pbd\n  reason: typo\n", // unknown rule
		"exemptions:\n- rule: \"[\"\n  reason: bad pattern\n",      // pattern
		"exemptions:\n- rule: \"*\"\n  reason: x\n  namspace: a\n", // unknown field
		"exemption:\n- rule: \"*\"\n  reason: x\n",                 // no list
	} {
		if _, err := ParseExemptions([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
