package healthcheck

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// BenchmarkAnalyze20k: 20,000 workloads in 200 namespaces, each behind a
// Service, each health check declaring 0-3 dependencies on others of its
// namespace (the graph, Service resolution and probe checks together).
func BenchmarkAnalyze20k(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	snap := &cluster.Snapshot{}
	const namespaces, perNS = 200, 100
	for n := range namespaces {
		ns := fmt.Sprintf("ns-%d", n)
		for i := range perNS {
			name := fmt.Sprintf("w-%d", i)
			d := deploy(ns, name, func(c *corev1.Container) { c.ReadinessProbe = httpHost("") })
			deps := ""
			for range rng.IntN(4) {
				deps += fmt.Sprintf("svc-%d,", rng.IntN(perNS))
			}
			d.Annotations = map[string]string{DependsOnAnnotation: deps}
			snap.Deployments = append(snap.Deployments, cluster.DeploymentFrom(d))
			snap.Services = append(snap.Services, service(ns, "svc-"+fmt.Sprint(i), name, ""))
		}
	}
	var r Result
	b.ReportAllocs()
	for b.Loop() {
		r = Analyze(snap, Config{LivenessRoutes: []string{"/health"}, ReadinessRoutes: []string{"/ping"}}, nil)
	}
	b.ReportMetric(float64(r.InCycles), "workloads-in-cycles")
	b.ReportMetric(float64(r.Longest), "longest-chain")
}
