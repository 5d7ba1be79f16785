package findings

import (
	"slices"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
	"github.com/kube-reliability/kube-reliability-exporter/internal/resources"
	"github.com/kube-reliability/kube-reliability-exporter/internal/synthetic"
)

// BenchmarkFindings: the rules over the analyses of the synthetic 150k-pod
// cluster (the analyses run once, outside the loop), as the score
// collector applies them on every change.
func BenchmarkFindings(b *testing.B) {
	s := synthetic.Cluster(150_000)
	s.Memoize()
	pl, di, lo := placement.Analyze(s), disruption.Analyze(s), loss.Analyze(s)
	re := resources.Analyze(s, nil)
	he := healthcheck.Analyze(s, healthcheck.Config{}, nil)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = len(Placement(pl)) + len(Disruption(di)) + len(Resources(re)) + len(Autoscaling(s, lo)) + len(Health(he))
	}
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkByNamespace: grouping the 150k-pod cluster's findings by
// namespace and rule, as the score collector does on every change for the
// debt alerts.
func BenchmarkByNamespace(b *testing.B) {
	s := synthetic.Cluster(150_000)
	s.Memoize()
	pl, di, lo := placement.Analyze(s), disruption.Analyze(s), loss.Analyze(s)
	re := resources.Analyze(s, nil)
	he := healthcheck.Analyze(s, healthcheck.Config{}, nil)
	fs := append(append(append(append(Placement(pl), Disruption(di)...), Resources(re)...), Autoscaling(s, lo)...), Health(he)...)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = len(ByNamespace(fs, 5))
	}
	b.ReportMetric(float64(len(fs)), "findings")
	b.ReportMetric(float64(n), "groups")
}

// BenchmarkSplit: setting the accepted findings of the 150k-pod cluster
// apart (one exemption), as the score collector does on every change. The
// input is copied outside the timer: Split reuses it.
func BenchmarkSplit(b *testing.B) {
	s := synthetic.Cluster(150_000)
	s.Memoize()
	pl, di := placement.Analyze(s), disruption.Analyze(s)
	fs := append(Placement(pl), Disruption(di)...)
	x := Ignores{Exemptions: []Exemption{{Rule: "disruption/*", Namespace: "other", Reason: "bench"}}, Annotations: AnnotationsOf(s)}
	b.ReportAllocs()
	b.ResetTimer()
	kept := 0
	for range b.N {
		b.StopTimer()
		in := slices.Clone(fs)
		b.StartTimer()
		k, _ := x.Split(in)
		kept = len(k)
	}
	b.ReportMetric(float64(len(fs)), "findings")
	b.ReportMetric(float64(kept), "kept")
}
