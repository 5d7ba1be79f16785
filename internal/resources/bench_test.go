package resources

import (
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/synthetic"
)

// BenchmarkAnalyze: the requests/limits and quota analysis of the
// synthetic 150k-pod cluster, as central runs it on every change.
func BenchmarkAnalyze(b *testing.B) {
	s := synthetic.Cluster(150_000)
	s.Memoize()
	b.ReportAllocs()
	for b.Loop() {
		Analyze(s, nil)
	}
}
