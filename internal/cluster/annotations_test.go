package cluster_test

import (
	"slices"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
)

// The annotations analysis reads survive the trim, under the names the
// packages that read them use.
func TestKeptAnnotationsAreTheOnesRead(t *testing.T) {
	for _, a := range []string{findings.IgnoreAnnotation, healthcheck.DependsOnAnnotation} {
		if !slices.Contains(cluster.KeptAnnotations, a) {
			t.Errorf("KeptAnnotations %v lacks %s", cluster.KeptAnnotations, a)
		}
	}
}
