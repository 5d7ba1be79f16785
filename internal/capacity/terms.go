package capacity

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// term is a required pod affinity or anti-affinity term.
type term struct {
	key   string
	sel   labels.Selector
	allNS bool
	ns    map[string]bool
}

// matches: a pod in namespace ns labelled l is one the term selects.
func (t *term) matches(ns string, l map[string]string) bool {
	return (t.allNS || t.ns[ns]) && t.sel.Matches(labels.Set(l))
}

// terms converts required terms of a pod in namespace own labelled
// tmplLabels. A term without a label selector selects no pod, and a
// malformed one nothing, as the scheduler treats them.
func (st *state) terms(ts []corev1.PodAffinityTerm, own string, tmplLabels map[string]string) []term {
	var out []term
	for _, t := range ts {
		sel := labels.Nothing()
		if t.LabelSelector != nil {
			if s, err := metav1.LabelSelectorAsSelector(t.LabelSelector); err == nil {
				sel = withLabelKeys(s, t.MatchLabelKeys, t.MismatchLabelKeys, tmplLabels)
			}
		}
		tm := term{key: t.TopologyKey, sel: sel, ns: map[string]bool{}}
		for _, n := range t.Namespaces {
			tm.ns[n] = true
		}
		switch {
		case t.NamespaceSelector != nil && len(t.NamespaceSelector.MatchLabels)+len(t.NamespaceSelector.MatchExpressions) == 0:
			tm.allNS = true
		case t.NamespaceSelector != nil:
			if s, err := metav1.LabelSelectorAsSelector(t.NamespaceSelector); err == nil {
				for name, l := range st.namespaces {
					if s.Matches(labels.Set(l)) {
						tm.ns[name] = true
					}
				}
			}
		case len(t.Namespaces) == 0:
			tm.ns[own] = true
		}
		out = append(out, tm)
	}
	return out
}

// withLabelKeys adds matchLabelKeys (key = the pod's value) and
// mismatchLabelKeys (key != the pod's value) to sel.
func withLabelKeys(sel labels.Selector, match, mismatch []string, l map[string]string) labels.Selector {
	for _, k := range match {
		if v, ok := l[k]; ok {
			if r, err := labels.NewRequirement(k, selection.Equals, []string{v}); err == nil {
				sel = sel.Add(*r)
			}
		}
	}
	for _, k := range mismatch {
		if v, ok := l[k]; ok {
			if r, err := labels.NewRequirement(k, selection.NotEquals, []string{v}); err == nil {
				sel = sel.Add(*r)
			}
		}
	}
	return sel
}

// spread is a topology spread constraint with DoNotSchedule.
type spread struct {
	key        string
	maxSkew    int32
	minDomains int32
	sel        labels.Selector
	// honorAffinity, honorTaints: the nodeAffinityPolicy (Honor by
	// default) and nodeTaintsPolicy (Ignore by default) say which nodes'
	// domains count.
	honorAffinity, honorTaints bool
}

func newSpread(c corev1.TopologySpreadConstraint, tmplLabels map[string]string) *spread {
	sp := &spread{key: c.TopologyKey, maxSkew: c.MaxSkew, minDomains: 1, sel: labels.Nothing(),
		honorAffinity: c.NodeAffinityPolicy == nil || *c.NodeAffinityPolicy == corev1.NodeInclusionPolicyHonor,
		honorTaints:   c.NodeTaintsPolicy != nil && *c.NodeTaintsPolicy == corev1.NodeInclusionPolicyHonor,
	}
	if c.MinDomains != nil {
		sp.minDomains = *c.MinDomains
	}
	if c.LabelSelector != nil {
		if s, err := metav1.LabelSelectorAsSelector(c.LabelSelector); err == nil {
			sp.sel = withLabelKeys(s, c.MatchLabelKeys, nil, tmplLabels)
		}
	}
	return sp
}
