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
	ids := regexp.MustCompile(`"((?:placement|disruption|autoscaling|rollout|resources|ingress|health|certificates|api|input)/[a-z-]+)"`).FindAllSubmatch(src, -1)
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
	b.WriteString("What audit (`kube-reliability-exporter audit`, text, JSON or SARIF for code scanning) and the live\n" +
		"reliability score report, by rule id. Each SARIF rule's `helpUri` links to its section here.\n")
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
