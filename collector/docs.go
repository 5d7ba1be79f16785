package collector

import (
	"fmt"
	"io"
	"strings"
)

// MarkdownReference writes docs/metrics.md: every family of every
// collector, and the families every scrape carries, generated from the
// specs so the reference cannot drift from the code.
func MarkdownReference(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Metric reference\n\n")
	b.WriteString("Generated from `collector.All` by `go test ./collector -run TestMetricsDoc -update`; do not edit by hand.\n")
	b.WriteString("Labels `namespace`, `owner_kind` and `owner_name` name a workload (owner_kind is Deployment, StatefulSet or ReplicaSet) and join\n")
	b.WriteString("kube-state-metrics series on `namespace` plus `deployment`/`statefulset`/`replicaset` after a `label_replace`.\n\n")
	b.WriteString("## Every scrape\n\n")
	table(&b, MetaSpecs)
	for _, s := range All {
		fmt.Fprintf(&b, "\n## Collector `%s`\n\nModes: %s. Enabled by default: %t.\n\n", s.Name, s.Modes, s.DefaultEnabled)
		table(&b, s.Metrics)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func table(b *strings.Builder, specs []MetricSpec) {
	b.WriteString("| metric | type | labels | cardinality | stability | meaning |\n|---|---|---|---|---|---|\n")
	for _, m := range specs {
		labels := "—"
		if len(m.Labels) > 0 {
			labels = "`" + strings.Join(m.Labels, "`, `") + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", m.Name, m.Type, labels, m.Bound, m.Stability, strings.ReplaceAll(m.Help, "|", "\\|"))
	}
}
