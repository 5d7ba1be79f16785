package alerts

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"sigs.k8s.io/yaml"
)

//go:embed *.rules.yml
var rules embed.FS

// RuleFile is a Prometheus rule file.
type RuleFile struct {
	Groups []Group `json:"groups"`
}

// Group is a rule group.
type Group struct {
	Name string `json:"name"`
	// Interval overrides the evaluation interval (the fleet roll-up
	// needs no more than one a minute).
	Interval string `json:"interval,omitempty"`
	Rules    []Rule `json:"rules"`
}

// Rule is an alerting or recording rule.
type Rule struct {
	Alert  string `json:"alert,omitempty"`
	Record string `json:"record,omitempty"`
	Expr   string `json:"expr"`
	For    string `json:"for,omitempty"`
	// KeepFiringFor holds a debt alert through an exporter restart.
	KeepFiringFor string            `json:"keep_firing_for,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Load parses every shipped rule file, sorted by file name.
func Load() ([]RuleFile, error) {
	names, err := fs.Glob(rules, "*.rules.yml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []RuleFile
	for _, n := range names {
		b, err := rules.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var f RuleFile
		if err := yaml.UnmarshalStrict(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// PrometheusRule renders every rule group as one Prometheus Operator
// PrometheusRule object.
func PrometheusRule(namespace string) ([]byte, error) {
	files, err := Load()
	if err != nil {
		return nil, err
	}
	var groups []Group
	for _, f := range files {
		groups = append(groups, f.Groups...)
	}
	obj := map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata": map[string]any{
			"name":      "kube-reliability-exporter",
			"namespace": namespace,
			"labels":    map[string]string{"app.kubernetes.io/name": "kube-reliability-exporter"},
		},
		"spec": map[string]any{"groups": groups},
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Generated from alerts/*.rules.yml by go test ./alerts -update; do not edit.\n"), b...), nil
}
