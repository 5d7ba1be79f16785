package collector

import (
	"fmt"
	"io"
	"strings"
)

// MarkdownReference writes docs/metrics.md: every family of every
// collector, and the families every scrape carries, generated from the
// specs so the reference cannot drift from the code.
func MarkdownReference(w io.Writer) error { return MarkdownReferenceWithAlerts(w, nil) }

// Queries are the reference's examples: the questions users ask first,
// each one PromQL expression over the families declared here (a test
// holds every name in them to a declared family).
var Queries = []struct{ Question, PromQL string }{
	{"Which workloads have every ready replica on one node?", "kube_reliability_workload_single_node == 1"},
	{"What would the loss of each of the worst nodes take down?", "topk(10, kube_reliability_node_loss_workloads_lost)"},
	{"Which zones' loss leaves pods without a node, and why?", "sum by (zone, reason) (kube_reliability_zone_loss_pods_unschedulable_by_reason) > 0"},
	{"Which nodes cannot be drained now?", "kube_reliability_node_drain_blocked == 1"},
	{"Which workloads have no PodDisruptionBudget?", "kube_reliability_workload_pdb_covered == 0"},
	{"Which steady-state hypotheses fail?", "kube_reliability_hypothesis_holds == 0"},
	{"The ten namespaces most at risk", "bottomk(10, kube_reliability_namespace_score)"},
	{"Certificates expiring within 14 days, in days", "(kube_reliability_certificate_expiry_timestamp_seconds - time()) / 86400 < 14"},
	{"How full is each etcd member's database?", "kube_reliability_etcd_member_db_size_bytes / kube_reliability_etcd_member_db_quota_bytes"},
	{"Connections nginx reloads dropped in the last hour, per pod", "sum by (namespace, pod) (increase(kube_reliability_nginx_reload_dropped_connections_total[1h]))"},
	{"Quotas above 90% of a hard limit", "kube_reliability_resourcequota_usage_ratio > 0.9"},
	{"Helm releases keeping more than 10 revisions", "kube_reliability_helm_release_revisions > 10"},
}

// MarkdownReferenceWithAlerts writes the reference, each metric with the
// alerts (by name) whose expressions read it.
func MarkdownReferenceWithAlerts(w io.Writer, alerts map[string][]string) error {
	var b strings.Builder
	b.WriteString("# Metric reference\n\n")
	b.WriteString("Generated from `collector.All` by `go test ./collector -run TestMetricsDoc -update`; do not edit by hand.\n")
	b.WriteString("Labels `namespace`, `owner_kind` and `owner_name` name a workload (owner_kind is Deployment, StatefulSet or ReplicaSet) and join\n")
	b.WriteString("kube-state-metrics series on `namespace` plus `deployment`/`statefulset`/`replicaset` after a `label_replace`.\n")
	b.WriteString("The alerts column links each metric to the alerts that read it (docs/runbooks.md).\n\n")
	b.WriteString("## Contents\n\n- [Example queries](#example-queries)\n- [Every scrape](#every-scrape)\n")
	for _, s := range All {
		fmt.Fprintf(&b, "- [Collector `%s`](#collector-%s) (%d)\n", s.Name, s.Name, len(s.Metrics))
	}
	b.WriteString("\n## Example queries\n\n| question | PromQL |\n|---|---|\n")
	for _, q := range Queries {
		fmt.Fprintf(&b, "| %s | `%s` |\n", q.Question, q.PromQL)
	}
	b.WriteString("\n## Every scrape\n\n")
	table(&b, MetaSpecs, alerts)
	for _, s := range All {
		fmt.Fprintf(&b, "\n## Collector `%s`\n\nModes: %s. Enabled by default: %t.\n\n", s.Name, s.Modes, s.DefaultEnabled)
		table(&b, s.Metrics, alerts)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func table(b *strings.Builder, specs []MetricSpec, alerts map[string][]string) {
	b.WriteString("| metric | type | labels | cardinality | stability | meaning | alerts |\n|---|---|---|---|---|---|---|\n")
	for _, m := range specs {
		labels := "—"
		if len(m.Labels) > 0 {
			labels = "`" + strings.Join(m.Labels, "`, `") + "`"
		}
		used := "—"
		if as := alerts[m.Name]; len(as) > 0 {
			var links []string
			for _, a := range as {
				links = append(links, fmt.Sprintf("[%s](runbooks.md#%s)", a, strings.ToLower(a)))
			}
			used = strings.Join(links, ", ")
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", m.Name, m.Type, labels, m.Bound, m.Stability, strings.ReplaceAll(m.Help, "|", "\\|"), used)
	}
}
