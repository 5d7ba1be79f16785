package disruption

import (
	"fmt"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/synthetic"
)

// BenchmarkAnalyze: every other workload has a PDB (minAvailable 8 of 10),
// so the drain pre-flight and the node and zone budget losses run over
// half the pods.
func BenchmarkAnalyze(b *testing.B) {
	for _, pods := range []int{1_000, 10_000, 150_000} {
		s := synthetic.Cluster(pods)
		eight := intstr.FromInt32(8)
		for i := 0; i < pods/10; i += 2 {
			app := fmt.Sprintf("app-%d", i)
			s.PodDisruptionBudgets = append(s.PodDisruptionBudgets, &policyv1.PodDisruptionBudget{
				ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: "ns"},
				Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &eight,
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}},
			})
		}
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			b.ReportAllocs()
			var r Result
			for b.Loop() {
				r = Analyze(s)
			}
			if len(r.PDBs) != pods/20 {
				b.Fatalf("%d PDBs", len(r.PDBs))
			}
		})
	}
}

// BenchmarkAnalyzeNoPDBs: the same cluster without a PDB, as most
// namespaces are: the drain pre-flight still visits every pod.
func BenchmarkAnalyzeNoPDBs(b *testing.B) {
	s := synthetic.Cluster(150_000)
	b.ReportAllocs()
	for b.Loop() {
		if r := Analyze(s); len(r.Nodes) != 5000 {
			b.Fatalf("%d nodes", len(r.Nodes))
		}
	}
}
