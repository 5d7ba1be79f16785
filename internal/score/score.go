package score

import (
	"cmp"
	"math"
	"slices"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
)

// Weights of a finding by severity.
var Weights = map[findings.Severity]float64{findings.Info: 0.25, findings.Warning: 1, findings.Critical: 4}

// Scope is the score of a namespace (Name) or of the cluster (Name "").
type Scope struct {
	Name      string
	Workloads int
	// Findings counts them by severity.
	Findings map[findings.Severity]int
	Penalty  float64
	Score    float64
}

// Result is one scoring, namespaces by name.
type Result struct {
	Cluster    Scope
	Namespaces []Scope
	// Rules counts findings by rule and severity, for the cluster.
	Rules []Rule
}

// Rule is how often one rule fired.
type Rule struct {
	Rule     string
	Severity findings.Severity
	Count    int
}

// Workloads counts a snapshot's workloads per namespace: what the score
// divides by.
func Workloads(s *cluster.Snapshot) map[string]int {
	out := map[string]int{}
	for _, w := range cluster.Workloads(s) {
		out[w.Meta.Namespace]++
	}
	for _, p := range s.Pods {
		if cluster.ControllerOf(p.OwnerReferences) == nil {
			out[p.Namespace]++
		}
	}
	for _, n := range s.Namespaces {
		out[n.Name] += 0
	}
	return out
}

// Compute scores the findings against the workloads per namespace.
// A Namespace finding counts in the namespace it names; findings on
// cluster-scoped objects count for the cluster only.
func Compute(workloads map[string]int, fs []findings.Finding) Result {
	scopes := map[string]*Scope{}
	scope := func(ns string) *Scope {
		if scopes[ns] == nil {
			scopes[ns] = &Scope{Name: ns, Findings: map[findings.Severity]int{}}
		}
		return scopes[ns]
	}
	res := Result{Cluster: Scope{Findings: map[findings.Severity]int{}}}
	for ns, n := range workloads {
		scope(ns).Workloads = n
		res.Cluster.Workloads += n
	}
	rules := map[Rule]int{}
	for _, f := range fs {
		w := Weights[f.Severity]
		res.Cluster.Penalty += w
		res.Cluster.Findings[f.Severity]++
		rules[Rule{Rule: f.Rule, Severity: f.Severity}]++
		ns := f.Namespace
		if f.Kind == "Namespace" && ns == "" {
			ns = f.Name
		}
		if ns == "" {
			continue
		}
		s := scope(ns)
		s.Penalty += w
		s.Findings[f.Severity]++
	}
	res.Cluster.Score = formula(res.Cluster.Workloads, res.Cluster.Penalty)
	for _, s := range scopes {
		s.Score = formula(s.Workloads, s.Penalty)
		res.Namespaces = append(res.Namespaces, *s)
	}
	slices.SortFunc(res.Namespaces, func(a, b Scope) int { return cmp.Compare(a.Name, b.Name) })
	for r, n := range rules {
		r.Count = n
		res.Rules = append(res.Rules, r)
	}
	slices.SortFunc(res.Rules, func(a, b Rule) int { return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Severity, b.Severity)) })
	return res
}

func formula(workloads int, penalty float64) float64 {
	w := float64(max(workloads, 1))
	return math.Round(1000*w/(w+penalty)) / 10
}
