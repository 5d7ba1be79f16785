package collector

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/audit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/manifest"
	"github.com/kube-reliability/kube-reliability-exporter/internal/resources"
)

// The live score and audit's are one: the demo cluster, read as manifests
// by audit and served from a snapshot by the score collector (health from
// specs and annotations in both), gets the same cluster and namespace
// scores.
func TestScoreSameAsAudit(t *testing.T) {
	t.Parallel()
	const input = "../internal/demo/snapshot/cluster.json"
	cfg := healthcheck.Config{ReadinessRoutes: []string{"/ping"}}
	r := audit.Run([]string{input}, resources.DefaultExcludedNamespaces, cfg)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	dec := manifest.DecodePaths([]string{input})
	set, err := NewSet([]*Spec{&scoreSpec}, Deps{Logger: discard(), Cluster: cluster.Static{S: manifest.Snapshot(dec.Objects)},
		ExcludedNamespaces: resources.DefaultExcludedNamespaces, HealthConfig: cfg}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := set.Expose(&b, false); err != nil {
		t.Fatal(err)
	}
	want := []string{"kube_reliability_cluster_score " + strconv.FormatFloat(r.Score.Cluster, 'g', -1, 64)}
	for _, n := range r.Score.Namespaces {
		want = append(want, `kube_reliability_namespace_score{namespace="`+n.Namespace+`"} `+strconv.FormatFloat(n.Score, 'g', -1, 64))
	}
	for _, w := range want {
		if !strings.Contains(b.String(), w+"\n") {
			t.Errorf("live exposition lacks %q (audit's score)", w)
		}
	}
	if len(r.Score.Namespaces) < 5 || r.Score.Cluster <= 0 || r.Score.Cluster >= 100 {
		t.Errorf("audit score %+v: want a real spread over the demo's namespaces", r.Score)
	}
}
