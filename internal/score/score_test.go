package score

import (
	"reflect"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
)

// Exact scores: shop has 4 workloads, 2 warnings on workloads, 1 critical
// and an info on the namespace (P = 2 + 4 + 0.25 = 6.25 → 100×4/10.25 =
// 39.0); payments 2 workloads, no finding (100); ops has no workload and
// one warning (W counts as 1: 50); a cluster-scoped finding counts for the
// cluster only. Cluster: W = 6, P = 6.25 + 1 + 1 = 8.25 → 42.1.
func TestCompute(t *testing.T) {
	t.Parallel()
	f := func(rule string, sev findings.Severity, kind, ns, name string) findings.Finding {
		return findings.Finding{Rule: rule, Severity: sev, Kind: kind, Namespace: ns, Name: name}
	}
	r := Compute(map[string]int{"shop": 4, "payments": 2, "ops": 0}, []findings.Finding{
		f("placement/single-node", findings.Warning, "Deployment", "shop", "a"),
		f("placement/single-node", findings.Warning, "Deployment", "shop", "b"),
		f("disruption/pdb-blocks-drain", findings.Critical, "PodDisruptionBudget", "shop", "a"),
		f("resources/no-resourcequota", findings.Info, "Namespace", "", "shop"),
		f("health/no-probe", findings.Warning, "Deployment", "ops", "x"),
		f("ingress/retired-controller", findings.Warning, "IngressClass", "", "old"),
	})
	want := Result{
		Cluster: Scope{Workloads: 6, Penalty: 8.25, Score: 42.1,
			Findings: map[findings.Severity]int{findings.Info: 1, findings.Warning: 4, findings.Critical: 1}},
		Namespaces: []Scope{
			{Name: "ops", Workloads: 0, Penalty: 1, Score: 50, Findings: map[findings.Severity]int{findings.Warning: 1}},
			{Name: "payments", Workloads: 2, Score: 100, Findings: map[findings.Severity]int{}},
			{Name: "shop", Workloads: 4, Penalty: 6.25, Score: 39, Findings: map[findings.Severity]int{findings.Info: 1, findings.Warning: 2, findings.Critical: 1}},
		},
		Rules: []Rule{
			{"disruption/pdb-blocks-drain", findings.Critical, 1}, {"health/no-probe", findings.Warning, 1},
			{"ingress/retired-controller", findings.Warning, 1}, {"placement/single-node", findings.Warning, 2},
			{"resources/no-resourcequota", findings.Info, 1},
		},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got\n%+v\nwant\n%+v", r, want)
	}
	if got := Compute(nil, nil); got.Cluster.Score != 100 {
		t.Errorf("no workload, no finding: %v, want 100", got.Cluster.Score)
	}
}
