//go:build !agentonly

package collector

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
