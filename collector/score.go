//go:build !agentonly

package collector

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/ingressclass"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
	"github.com/kube-reliability/kube-reliability-exporter/internal/resources"
	"github.com/kube-reliability/kube-reliability-exporter/internal/score"
)

// debtExamples is how many objects a debt alert names: enough to start
// on, few enough for a page.
const debtExamples = 5

func newScore(d Deps) (Collector, error) {
	var exemptions []findings.Exemption
	if d.ExemptionsFile != "" {
		data, err := os.ReadFile(d.ExemptionsFile)
		if err == nil {
			exemptions, err = findings.ParseExemptions(data)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrExemptionsFile, err)
		}
	}
	return &scoreCollector{
		exemptions: exemptions,
		src:        d.Cluster,
		placement:  sharedAnalysis(d, "placement", d.Cluster, placement.Analyze, placementReads...),
		disruption: sharedAnalysis(d, "disruption", d.Cluster, disruption.Analyze, disruptionReads...),
		loss:       sharedAnalysis(d, "loss", d.Cluster, loss.Analyze, lossReads...),
		capacity:   sharedAnalysis(d, "capacity", d.Cluster, capacity.Analyze, lossReads...),
		resources:  resourcesAnalysis(d),
		ingress:    sharedAnalysis(d, "ingress", d.Cluster, ingressclass.Analyze, ingressReads...),
		health:     healthAnalysis(d),
		now:        d.now,
		sink:       d.FindingsSink,
	}, nil
}

type scoreCollector struct {
	exemptions []findings.Exemption
	src        cluster.Source
	placement  *analysis[placement.Result]
	disruption *analysis[disruption.Result]
	loss       *analysis[loss.Result]
	capacity   *analysis[capacity.Result]
	resources  *analysis[resources.Result]
	ingress    *analysis[ingressclass.Result]
	health     *analysis[healthcheck.Result]
	now        func() time.Time
	sink       func(active, ignored []findings.Finding)
}

// Version changes with the cluster and the fetched health responses (the
// health analysis's source covers both).
func (c *scoreCollector) Version() uint64 { return c.health.version() }

func (c *scoreCollector) Update(_ context.Context, e *Emitter) error {
	snap, err := c.src.Snapshot()
	if err != nil {
		return err
	}
	pl, err1 := c.placement.get()
	di, err2 := c.disruption.get()
	lo, err3 := c.loss.get()
	re, err4 := c.resources.get()
	in, err5 := c.ingress.get()
	he, err6 := c.health.get()
	ca, err7 := c.capacity.get()
	// One analysis unknown makes the score unknown: a score without, say,
	// the PDB findings would read better than the cluster is.
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		return err
	}
	fs := findings.Placement(pl)
	fs = append(fs, findings.Disruption(di)...)
	fs = append(fs, findings.Resources(re)...)
	fs = append(fs, findings.Autoscaling(snap, lo)...)
	fs = append(fs, findings.Ingresses(in)...)
	fs = append(fs, findings.Certificates(certs.Webhooks(snap), snap.Ingresses, c.now())...)
	fs = append(fs, findings.Health(he)...)
	fs = append(fs, findings.Capacity(ca)...)
	fs = append(fs, findings.Objects(snap)...)
	// Accepted findings (annotation or exemption) weigh nothing and are
	// counted apart, so an accepted debt stays visible.
	fs, ignored := findings.Ignores{Exemptions: c.exemptions, Annotations: findings.AnnotationsOf(snap)}.Split(fs)
	if c.sink != nil {
		c.sink(fs, ignored)
	}
	res := score.Compute(score.Workloads(snap), fs)
	e.Gauge("kube_reliability_cluster_score", res.Cluster.Score)
	for _, n := range res.Namespaces {
		e.Gauge("kube_reliability_namespace_score", n.Score, n.Name)
	}
	for _, r := range res.Rules {
		e.Gauge("kube_reliability_findings", float64(r.Count), r.Rule, r.Severity.String())
	}
	for _, n := range findings.ByNamespace(fs, debtExamples) {
		e.Gauge("kube_reliability_namespace_finding_objects", float64(n.Objects), n.Namespace, n.Rule)
		e.Gauge("kube_reliability_namespace_finding_examples_info", 1, n.Namespace, n.Rule, strings.Join(n.Examples, ", "))
	}
	perRule := map[string]int{}
	for _, f := range ignored {
		perRule[f.Rule]++
	}
	for _, r := range slices.Sorted(maps.Keys(perRule)) {
		e.Gauge("kube_reliability_findings_ignored", float64(perRule[r]), r)
	}
	return nil
}

// The score weighs the findings of every analysis: it reads what they read.
var scoreReads = reads("poddisruptionbudgets", "services", "namespaces", "resourcequotas", "limitranges", "ingressclasses", "ingresses",
	"persistentvolumeclaims", "persistentvolumes")

var scoreSpec = Spec{
	Name: "score", Modes: Central | Demo, DefaultEnabled: true, Reads: scoreReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_cluster_score", Type: Gauge, Stability: Experimental,
			Help: "Reliability score of the cluster, 0-100: 100 × W / (W + P), W its workloads, P the findings' weights (info 0.25, warning 1, critical 4), the same rules and formula as audit's score line. Absent while any analysis it weighs is unknown.", Bound: "one series"},
		{Name: "kube_reliability_namespace_score", Type: Gauge, Stability: Experimental,
			Help: "Reliability score of the namespace, 0-100, as kube_reliability_cluster_score over its workloads and findings.", Labels: []string{"namespace"}, Bound: "one series per namespace with a workload or a finding"},
		{Name: "kube_reliability_findings", Type: Gauge, Stability: Experimental,
			Help: "Findings of the rule in the cluster now, by severity: what lowers the score (rules as audit names them).", Labels: []string{"rule", "severity"}, Bound: "one series per rule that fires (about 30 rules)"},
		{Name: "kube_reliability_namespace_finding_objects", Type: Gauge, Stability: Experimental,
			Help: "Objects the rule reports in the namespace now (each once, however many findings it has; cluster-scoped objects under namespace \"\"), accepted findings left out: what the configuration-debt alerts fire on, once per namespace and rule.", Labels: []string{"namespace", "rule"}, Bound: "one series per namespace and rule that fires"},
		{Name: "kube_reliability_namespace_finding_examples_info", Type: Gauge, Stability: Experimental,
			Help: "The first objects (at most 5, by kind then name, as kind/name, comma-separated) the rule reports in the namespace, for the debt alerts' annotations; the full list: audit, or the placement and disruption dashboards.", Labels: []string{"namespace", "rule", "objects"}, Bound: "one series per namespace and rule that fires"},
		{Name: "kube_reliability_findings_ignored", Type: Gauge, Stability: Experimental,
			Help: "Findings of the rule accepted by the object's reliability.kube-reliability.io/ignore annotation or an entry of RELIABILITY_EXEMPTIONS_FILE: left out of kube_reliability_findings and the scores, counted here so accepted debt stays visible.", Labels: []string{"rule"}, Bound: "one series per rule with an accepted finding"},
	},
	New: newScore,
}
