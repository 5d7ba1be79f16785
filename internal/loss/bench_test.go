package loss

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
			var r Result
			for b.Loop() {
				r = Analyze(s)
			}
			if len(r.Workloads) != pods/10 {
				b.Fatalf("%d workloads", len(r.Workloads))
			}
		})
	}
}
