package findings

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// IgnoreAnnotation on an object silences the rules it lists for that
// object: a comma-separated list of rule ids or patterns
// ("disruption/no-pdb", "placement/*", "*").
const IgnoreAnnotation = "reliability.kube-reliability.io/ignore"

// Exemption silences findings by rule, kind, namespace and name, each a
// path.Match pattern ("" matches everything); Reason is required, so the
// file says why a finding is accepted.
type Exemption struct {
	Rule      string `json:"rule"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Reason    string `json:"reason"`
}

// ParseExemptions reads an exemptions file: {exemptions: [{rule,
// namespace, name, kind, reason}]}. Unknown fields, bad patterns and
// entries without a rule or a reason are errors naming the entry.
func ParseExemptions(data []byte) ([]Exemption, error) {
	var f struct {
		Exemptions []Exemption `json:"exemptions"`
	}
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("exemptions: %w", err)
	}
	if len(bytes.TrimSpace(data)) > 0 && f.Exemptions == nil {
		return nil, fmt.Errorf("exemptions: no exemptions list")
	}
	for i, e := range f.Exemptions {
		if e.Rule == "" || strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("exemptions[%d]: rule and reason are required", i)
		}
		for _, p := range []string{e.Rule, e.Kind, e.Namespace, e.Name} {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("exemptions[%d]: pattern %q: %w", i, p, err)
			}
		}
		if e.Rule != "*" && !strings.ContainsAny(e.Rule, "*?[") {
			if _, ok := RuleByID(e.Rule); !ok {
				return nil, fmt.Errorf("exemptions[%d]: unknown rule %q (docs/findings.md lists them)", i, e.Rule)
			}
		}
	}
	return f.Exemptions, nil
}

// Ignores decides which findings are accepted: by the object's
// annotation, then by the exemptions.
type Ignores struct {
	Exemptions []Exemption
	// Annotations are the objects' ignore annotations, by kind/namespace/name
	// (see AnnotationsOf).
	Annotations map[string]string
}

func objectKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// AnnotationsOf collects the ignore annotations of the snapshot's objects
// that findings name.
func AnnotationsOf(s *cluster.Snapshot) map[string]string {
	out := map[string]string{}
	add := func(kind string, m *metav1.ObjectMeta) {
		if v, ok := m.Annotations[IgnoreAnnotation]; ok {
			out[objectKey(kind, m.Namespace, m.Name)] = v
		}
	}
	for _, d := range s.Deployments {
		add("Deployment", &d.ObjectMeta)
	}
	for _, d := range s.StatefulSets {
		add("StatefulSet", &d.ObjectMeta)
	}
	for _, d := range s.DaemonSets {
		add("DaemonSet", &d.ObjectMeta)
	}
	for _, p := range s.PodDisruptionBudgets {
		add("PodDisruptionBudget", &p.ObjectMeta)
	}
	for _, n := range s.Namespaces {
		add("Namespace", &n.ObjectMeta)
	}
	for _, q := range s.ResourceQuotas {
		add("ResourceQuota", &q.ObjectMeta)
	}
	for _, i := range s.Ingresses {
		add("Ingress", &i.ObjectMeta)
	}
	for _, w := range s.ValidatingWebhookConfigurations {
		add("ValidatingWebhookConfiguration", &w.ObjectMeta)
	}
	for _, w := range s.MutatingWebhookConfigurations {
		add("MutatingWebhookConfiguration", &w.ObjectMeta)
	}
	return out
}

// Why says why f is ignored ("" when it is not): the annotation, or the
// first exemption that matches, with its reason.
func (x Ignores) Why(f Finding) string {
	if v, ok := x.Annotations[objectKey(f.Kind, f.Namespace, f.Name)]; ok {
		for r := range strings.SplitSeq(v, ",") {
			if match(strings.TrimSpace(r), f.Rule) {
				return "annotation " + IgnoreAnnotation
			}
		}
	}
	for _, e := range x.Exemptions {
		if match(e.Rule, f.Rule) && match(e.Kind, f.Kind) && match(e.Namespace, f.Namespace) && match(e.Name, f.Name) {
			return "exemption: " + e.Reason
		}
	}
	return ""
}

// Split separates the findings x accepts from the others, keeping order.
// kept reuses fs's array, as slices.DeleteFunc does: fs is not to be used
// after. (A copy of every finding was 19 MB of garbage per 30,000
// findings, BenchmarkSplit.)
func (x Ignores) Split(fs []Finding) (kept, ignored []Finding) {
	kept = fs[:0]
	for _, f := range fs {
		if why := x.Why(f); why != "" {
			f.Ignored = why
			ignored = append(ignored, f)
			continue
		}
		kept = append(kept, f)
	}
	clear(fs[len(kept):]) // the tail's strings are not kept alive
	return kept, ignored
}

// match is path.Match with "" and "*" matching everything (a rule id has
// a "/", which path.Match's * does not cross); a pattern that does not
// parse (refused when read) matches nothing.
func match(pattern, s string) bool {
	if pattern == "" || pattern == "*" {
		return true
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}
