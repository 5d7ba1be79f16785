package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/manifest"
)

// clusterScoped says whether kind is an analysed kind without a
// namespace.
func clusterScoped(kind string) bool {
	for _, k := range cluster.Kinds {
		if k.Name == kind {
			return !k.Namespaced
		}
	}
	return false
}

// identity is what names one object on a cluster: its API group, kind,
// namespace (as applied: none means default) and name.
func identity(o runtime.Object) (string, bool) {
	m, ok := o.(interface {
		GetNamespace() string
		GetName() string
	})
	if !ok {
		return "", false
	}
	gvk := o.GetObjectKind().GroupVersionKind()
	ns := m.GetNamespace()
	if ns == "" && !clusterScoped(gvk.Kind) {
		ns = "default"
	}
	return gvk.Group + "/" + gvk.Kind + "/" + ns + "/" + m.GetName(), true
}

// dedupe keeps the first copy of every object the input holds more than
// once (files in path order, documents in file order) and reports each
// such object once, naming every copy: a directory holding one object in
// several files (an overlay next to its base, a rendered chart next to
// its templates) would otherwise report every finding once per copy.
func dedupe(objs []manifest.Object) ([]manifest.Object, []Finding) {
	first := map[string]int{}
	copies := map[string][]manifest.Object{}
	var keep []manifest.Object
	var order []string
	for _, o := range objs {
		id, ok := identity(o.Obj)
		if !ok {
			keep = append(keep, o)
			continue
		}
		if _, seen := first[id]; !seen {
			first[id] = len(keep)
			keep = append(keep, o)
			order = append(order, id)
		}
		copies[id] = append(copies[id], o)
	}
	var found []Finding
	for _, id := range order {
		cs := copies[id]
		if len(cs) < 2 {
			continue
		}
		where := make([]string, len(cs))
		same := true
		firstJSON, _ := json.Marshal(cs[0].Obj)
		for k, c := range cs {
			where[k] = fmt.Sprintf("%s:%d", c.File, c.Line)
			if k > 0 {
				js, _ := json.Marshal(c.Obj)
				same = same && bytes.Equal(js, firstJSON)
			}
		}
		parts := strings.SplitN(id, "/", 4)
		ns := parts[2]
		if clusterScoped(parts[1]) {
			ns = ""
		}
		f := Finding{Rule: "input/duplicate-object", Severity: Info, Kind: parts[1], Namespace: ns, Name: parts[3],
			File: cs[0].File, Line: cs[0].Line}
		if same {
			f.Message = fmt.Sprintf("%d identical copies (%s); analysed once", len(cs), strings.Join(where, ", "))
		} else {
			f.Severity = Warning
			f.Message = fmt.Sprintf("%d copies that differ (%s): the cluster keeps whichever is applied last; the first was analysed", len(cs), strings.Join(where, ", "))
		}
		found = append(found, f)
	}
	return keep, found
}
