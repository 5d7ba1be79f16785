package placement

import (
	"fmt"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/synthetic"
)

func BenchmarkAnalyze(b *testing.B) {
	for _, pods := range []int{1_000, 10_000, 150_000} {
		s := synthetic.Cluster(pods)
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := Analyze(s)
				if len(r.Workloads) != pods/10 {
					b.Fatalf("%d workloads", len(r.Workloads))
				}
			}
		})
	}
}

// TestSyntheticShape guards the benchmark input: a benchmark of the wrong
// shape measures nothing useful.
func TestSyntheticShape(t *testing.T) {
	t.Parallel()
	s := synthetic.Cluster(1_000)
	r := Analyze(s)
	if len(s.Pods) != 1_000 || len(s.Nodes) != 33 || len(r.Workloads) != 100 || len(r.Zones) != 3 {
		t.Fatalf("pods %d nodes %d workloads %d zones %d", len(s.Pods), len(s.Nodes), len(r.Workloads), len(r.Zones))
	}
	ready := 0
	for _, w := range r.Workloads {
		ready += w.ReadyReplicas
	}
	if ready != 950 {
		t.Errorf("ready replicas %d, want 950 (one pod in 20 unready)", ready)
	}
}
