package collector

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/audit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
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
	set, err := NewSet([]*Spec{&scoreSpec}, Deps{Logger: discard(), Cluster: cluster.Static{S: manifest.Snapshot(dec.Objects)}, Settings: Settings{ExcludedNamespaces: resources.DefaultExcludedNamespaces, HealthConfig: cfg}}, 5*time.Second)
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

// Live, accepted findings are left out of the score and counted apart,
// the same as audit's: an annotated Deployment and an exemptions file.
func TestScoreIgnores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(input, []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
  annotations: {reliability.kube-reliability.io/ignore: "disruption/no-pdb"}
spec:
  replicas: 2
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: app, image: app:1}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	exemptions := filepath.Join(dir, "exemptions.yaml")
	if err := os.WriteFile(exemptions, []byte("exemptions:\n- rule: health/*\n  namespace: shop\n  reason: probes next release\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ex, err := findings.ParseExemptions([]byte("exemptions:\n- rule: health/*\n  namespace: shop\n  reason: probes next release\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := audit.RunWith([]string{input}, audit.Options{Exemptions: ex})
	dec := manifest.DecodePaths([]string{input})
	set, err := NewSet([]*Spec{&scoreSpec}, Deps{Logger: discard(), Cluster: cluster.Static{S: manifest.Snapshot(dec.Objects)}, Settings: Settings{ExemptionsFile: exemptions}}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := set.Expose(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`kube_reliability_findings_ignored{rule="disruption/no-pdb"} 1`,
		`kube_reliability_findings_ignored{rule="health/no-liveness-probe"} 1`,
		`kube_reliability_findings_ignored{rule="health/no-readiness-probe"} 1`,
		"kube_reliability_cluster_score " + strconv.FormatFloat(r.Score.Cluster, 'g', -1, 64),
	} {
		if !strings.Contains(b.String(), w+"\n") {
			t.Errorf("exposition lacks %q:\n%s", w, b.String())
		}
	}
	if strings.Contains(b.String(), `kube_reliability_findings{rule="disruption/no-pdb"`) {
		t.Error("an ignored finding still counted in kube_reliability_findings")
	}
	if err := os.WriteFile(exemptions, []byte("exemptions:\n- rule: health/*\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSet([]*Spec{&scoreSpec}, Deps{Logger: discard(), Cluster: cluster.Static{S: &cluster.Snapshot{}}, Settings: Settings{ExemptionsFile: exemptions}}, time.Second); !errors.Is(err, ErrExemptionsFile) {
		t.Errorf("an exemption without a reason: %v", err)
	}
}
