package deploy

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
)

var update = flag.Bool("update", false, "rewrite the chart's generated files")

const chartDir = "helm/kube-reliability-exporter"

// The chart's generated files come from the one source of each: the
// PrometheusRule and the dashboards from alerts/ and grafana/ (through the
// kustomize base), the ClusterRole's rules from the kustomize base with the
// collectors that need each resource, the values schema from the config
// struct. -update rewrites them; without it, a stale file fails.
func TestChartGeneratedFilesCurrent(t *testing.T) {
	files := map[string][]byte{
		"files/prometheusrule-groups.yaml": ruleGroups(t),
		"files/central-rules.yaml":         centralRules(t),
		"values.schema.json":               valuesSchema(t),
		// The Alertmanager example, packaged with the chart.
		"files/alertmanager.example.yml": readFile(t, "alertmanager/alertmanager.yml"),
	}
	// The dashboards as the base's ConfigMap carries them (generated from
	// grafana/*.json by hack/gen-dashboards.py), byte for byte.
	var cm struct {
		Data map[string]string `json:"data"`
	}
	readLoose(t, "dashboards.yaml", &cm)
	boards, _ := filepath.Glob("../grafana/*.json")
	if len(cm.Data) == 0 || len(cm.Data) != len(boards) {
		t.Fatalf("%d dashboards in the ConfigMap, %d in grafana/", len(cm.Data), len(boards))
	}
	for name, text := range cm.Data {
		files["files/dashboards/"+name] = []byte(text)
	}
	if *update {
		old, _ := filepath.Glob(filepath.Join(chartDir, "files/dashboards/*.json"))
		for _, f := range old {
			_ = os.Remove(f)
		}
	}
	for name, want := range files {
		path := filepath.Join(chartDir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale (go test ./deploy -run TestChartGeneratedFilesCurrent -update): %v", path, err)
		}
	}
	present, _ := filepath.Glob(filepath.Join(chartDir, "files/dashboards/*.json"))
	if len(present) != len(boards) {
		t.Errorf("%d dashboards in the chart, %d in grafana/", len(present), len(boards))
	}
}

// ruleGroups is the kustomize base PrometheusRule's spec, as YAML.
func ruleGroups(t *testing.T) []byte {
	t.Helper()
	var rule struct {
		Spec map[string]any `json:"spec"`
	}
	readLoose(t, "prometheusrule.yaml", &rule)
	out, err := yaml.Marshal(rule.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sourceResources are the resources a background source reads.
var sourceResources = map[collector.Source][]string{
	collector.GatewayAPI:       {"gatewayclasses", "gateways", "httproutes"},
	collector.APIServices:      {"apiservices"},
	collector.CertManager:      {"certificates"},
	collector.TLSEndpoints:     {"endpointslices"},
	collector.APIServerStorage: {"/metrics"},
}

// resourceCollectors maps each resource (or non-resource URL) central may
// read to the central collectors that need it.
func resourceCollectors() map[string][]string {
	m := map[string][]string{}
	for _, s := range collector.All {
		if s.Modes&collector.Central == 0 {
			continue
		}
		rs := slices.Clone(s.Reads)
		for _, u := range s.Uses {
			rs = append(rs, sourceResources[u]...)
		}
		// KEDA's ScaledObjects set floors as HPAs do: watched with them.
		if slices.Contains(s.Reads, "horizontalpodautoscalers") {
			rs = append(rs, "scaledobjects")
		}
		for _, r := range rs {
			if !slices.Contains(m[r], s.Name) {
				m[r] = append(m[r], s.Name)
			}
		}
	}
	return m
}

// defaultCentral names the collectors central runs by default.
func defaultCentral(t *testing.T) []string {
	t.Helper()
	specs, err := collector.Select(collector.Central, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return out
}

// centralRules: the base ClusterRole's rules, each resource with the
// collectors that read it (the chart keeps a resource when one of them
// runs). A resource no collector reads fails: the role would grant more
// than any collector needs.
func centralRules(t *testing.T) []byte {
	t.Helper()
	var role rbacv1.ClusterRole
	read(t, "clusterrole.yaml", &role)
	need := resourceCollectors()
	type rule struct {
		APIGroups       []string            `json:"apiGroups,omitempty"`
		NonResourceURLs bool                `json:"nonResourceURLs,omitempty"`
		Resources       []string            `json:"resources"`
		Verbs           []string            `json:"verbs"`
		Collectors      map[string][]string `json:"collectors"`
	}
	var rules []rule
	for _, r := range role.Rules {
		out := rule{APIGroups: r.APIGroups, Resources: r.Resources, Verbs: r.Verbs, Collectors: map[string][]string{}}
		if len(r.NonResourceURLs) > 0 {
			out.NonResourceURLs, out.Resources = true, r.NonResourceURLs
		}
		for _, res := range out.Resources {
			if len(need[res]) == 0 {
				t.Errorf("the base ClusterRole grants %s, which no central collector reads", res)
			}
			out.Collectors[res] = need[res]
		}
		rules = append(rules, out)
	}
	b, err := yaml.Marshal(map[string]any{"defaultCollectors": defaultCentral(t), "rules": rules})
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("# Generated by go test ./deploy -run TestChartGeneratedFilesCurrent -update; do not edit.\n"), b...)
}

// Variables the chart sets itself, per component.
var chartSets = map[string][]string{
	"central": {config.Key("LISTEN_ADDRESS"), config.Key("KUBECONFIG"), config.Key("COLLECTORS_ENABLED"), config.Key("COLLECTORS_DISABLED")},
	"agent":   {config.Key("LISTEN_ADDRESS"), config.Key("KUBECONFIG"), config.Key("PROC_ROOT"), config.Key("SYS_ROOT"), config.Key("NODE_NAME")},
}

// durationPattern is what time.ParseDuration accepts (signs aside).
// quantityPattern is a resource quantity (k8s.io/apimachinery's
// resource.ParseQuantity): a number, then a binary (Ki..Ei), decimal
// (n, u, m, k, M..E) or exponent suffix.
const quantityPattern = `^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$`

// promDurationPattern is a Prometheus duration as prometheus-operator's
// CRDs check it (units descending, integers only).
const promDurationPattern = `^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`

const durationPattern = `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

// configSchema: the RELIABILITY_* variables of a mode, each typed.
func configSchema(t *testing.T, mode string) map[string]any {
	t.Helper()
	vars, err := config.Vars()
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]any{}
	for _, v := range vars {
		if len(v.Modes) > 0 && !slices.Contains(v.Modes, mode) || slices.Contains(chartSets[mode], v.Key) {
			continue
		}
		desc := v.Desc
		if v.Default != "" {
			desc += fmt.Sprintf(" (default %q)", v.Default)
		}
		p := map[string]any{"description": desc}
		switch v.Type {
		case "bool":
			p["type"] = "boolean"
		case "int", "int64":
			p["type"] = "integer"
		case "float32", "float64":
			p["type"] = "number"
		case "time.Duration":
			p["type"], p["pattern"] = "string", durationPattern
		case "string", "[]string":
			p["type"] = "string"
			if e, ok := config.Enums[v.Key]; ok {
				p["enum"] = e
			}
		default:
			t.Fatalf("%s: no schema for Go type %s", v.Key, v.Type)
		}
		props[v.Key] = p
	}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props,
		"description": "RELIABILITY_* variables (docs/configuration.md), by full name"}
}

// valuesSchema is values.schema.json: every value typed, unknown keys
// refused, the collectors' names and the variables' types known.
func valuesSchema(t *testing.T) []byte {
	t.Helper()
	var central []string
	for _, s := range collector.All {
		if s.Modes&collector.Central != 0 {
			central = append(central, s.Name)
		}
	}
	str := map[string]any{"type": "string"}
	boolean := map[string]any{"type": "boolean"}
	obj := func(props map[string]any) map[string]any {
		return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	}
	anyObj := map[string]any{"type": "object"}
	required := func(names []string, o map[string]any) map[string]any { o["required"] = names; return o }
	strMap := map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	// A quantity as Kubernetes parses it (resource.ParseQuantity): a
	// malformed one fails the install here, naming the value, instead of
	// the API server refusing the Deployment after the release was made.
	quantity := map[string]any{"type": []string{"string", "number"}, "pattern": quantityPattern}
	quantities := map[string]any{"type": "object", "additionalProperties": quantity}
	resources := obj(map[string]any{"requests": quantities, "limits": quantities, "claims": map[string]any{"type": "array"}})
	component := func(mode string, extra map[string]any) map[string]any {
		p := map[string]any{"enabled": boolean, "config": configSchema(t, mode), "resources": resources,
			"nodeSelector": strMap, "tolerations": map[string]any{"type": "array"}, "podAnnotations": strMap, "priorityClassName": str}
		for k, v := range extra {
			p[k] = v
		}
		return obj(p)
	}
	promDuration := map[string]any{"type": "string", "pattern": promDurationPattern, "minLength": 1}
	monitor := obj(map[string]any{"enabled": boolean, "labels": strMap, "interval": promDuration, "scrapeTimeout": promDuration})
	names := map[string]any{"type": "array", "uniqueItems": true, "items": map[string]any{"type": "string", "enum": central}}
	schema := map[string]any{
		"$schema": "https://json-schema.org/draft-07/schema#",
		"title":   "kube-reliability-exporter values (generated by go test ./deploy -run TestChartGeneratedFilesCurrent -update)",
		"type":    "object", "additionalProperties": false,
		"properties": map[string]any{
			"global":           anyObj, // set by parent charts
			"fullnameOverride": map[string]any{"type": "string", "maxLength": 53},
			"image": obj(map[string]any{"repository": map[string]any{"type": "string", "minLength": 1}, "tag": str,
				"pullPolicy": map[string]any{"type": "string", "enum": []string{"Always", "IfNotPresent", "Never"}}}),
			"imagePullSecrets":   map[string]any{"type": "array"},
			"prometheusOperator": obj(map[string]any{"render": map[string]any{"type": "string", "enum": []string{"auto", "always", "never"}}}),
			"collectors":         obj(map[string]any{"enabled": names, "disabled": names}),
			"central": component("central", map[string]any{"affinity": anyObj, "exemptions": map[string]any{"type": "array", "items": required([]string{"rule", "reason"}, obj(map[string]any{
				"rule": map[string]any{"type": "string", "minLength": 1}, "kind": str, "namespace": str, "name": str,
				"reason": map[string]any{"type": "string", "minLength": 1}}))}}),
			"agent":          component("agent", nil),
			"rbac":           obj(map[string]any{"helmHistory": boolean, "policyReports": boolean}),
			"service":        obj(map[string]any{"port": map[string]any{"type": "integer", "minimum": 1, "maximum": 65535}}),
			"serviceMonitor": monitor,
			"podMonitor":     monitor,
			"prometheusRule": obj(map[string]any{"enabled": boolean, "labels": strMap,
				"runbookBaseURL": map[string]any{"type": "string", "pattern": "^https?://[^#\\s]+#?$"}}),
			"dashboards": obj(map[string]any{"enabled": boolean, "label": map[string]any{"type": "string", "minLength": 1},
				"labelValue": str, "folderAnnotation": str, "folder": str}),
			"networkPolicy": obj(map[string]any{"enabled": boolean, "from": map[string]any{"type": "array"}}),
		},
	}
	b, err := json.MarshalIndent(schema, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
