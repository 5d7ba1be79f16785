package findings

import (
	"cmp"
	"slices"
)

// NamespaceRule is what one rule reports in one namespace: how many
// objects, and the first few by kind and name, for an alert to name.
type NamespaceRule struct {
	// Namespace is the objects' namespace; a Namespace finding counts in
	// the namespace it names; cluster-scoped objects in "".
	Namespace string
	Rule      string
	// Objects counts distinct objects (a rule may report one object
	// twice, for two containers or two resources).
	Objects int
	// Examples are the first objects as kind/name, sorted, at most the
	// number asked for.
	Examples []string
}

// ByNamespace groups findings by namespace and rule, sorted by both,
// keeping up to examples objects of each.
func ByNamespace(fs []Finding, examples int) []NamespaceRule {
	type key struct{ namespace, rule string }
	objects := map[key][]string{}
	for _, f := range fs {
		ns := f.Namespace
		if f.Kind == "Namespace" {
			ns = f.Name
		}
		k := key{ns, f.Rule}
		objects[k] = append(objects[k], f.Kind+"/"+f.Name)
	}
	out := make([]NamespaceRule, 0, len(objects))
	for k, objs := range objects {
		slices.Sort(objs)
		objs = slices.Compact(objs)
		out = append(out, NamespaceRule{Namespace: k.namespace, Rule: k.rule, Objects: len(objs), Examples: slices.Clip(objs[:min(examples, len(objs))])})
	}
	slices.SortFunc(out, func(a, b NamespaceRule) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Rule, b.Rule))
	})
	return out
}
