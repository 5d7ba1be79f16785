package resources

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Analyzed resources for requests, limits and LimitRange defaults.
var Resources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}

// Container types, as in the container_type label.
const (
	App  = "app"
	Init = "init"
)

// DefaultExcludedNamespaces are the system namespaces left out unless
// configured otherwise.
var DefaultExcludedNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// Containers counts a namespace's containers missing requests or limits for
// one resource.
type Containers struct {
	Namespace, Resource, ContainerType    string
	Total, WithoutRequests, WithoutLimits int
}

// Namespace is the verdict on one namespace.
type Namespace struct {
	Name                        string
	ResourceQuotas, LimitRanges int
	// DefaultRequest and DefaultLimit say, per resource, whether a
	// LimitRange gives containers a default.
	DefaultRequest, DefaultLimit map[string]bool
}

// Quota is how full one resource of one ResourceQuota is.
type Quota struct {
	Namespace, Name, Resource string
	Used, Hard                float64
}

// Missing names one workload's (or bare pod's) containers that set no
// request, or no limit, for one resource.
type Missing struct {
	Kind, Namespace, Name string
	Resource              string
	// WithoutRequest and WithoutLimit list container names (init
	// containers too), in spec order.
	WithoutRequest, WithoutLimit []string
}

// Result is one analysis, sorted.
type Result struct {
	Containers []Containers
	// Missing names, per workload and resource, the containers behind the
	// counts: the audit reports them by name.
	Missing    []Missing
	Namespaces []Namespace
	// Quotas holds resources with a hard limit above zero and a used value;
	// others have no ratio to speak of.
	Quotas []Quota
}

// Analyze runs the analysis, leaving out the excluded namespaces.
func Analyze(s *cluster.Snapshot, excluded []string) Result {
	t := &tally{excluded: excluded, namespaces: map[string]*Namespace{}, counts: map[[3]string]*Containers{}}
	for _, n := range s.Namespaces {
		if !t.skip(n.Name) {
			t.ns(n.Name)
		}
	}
	for _, w := range cluster.Workloads(s) {
		t.count(w.Kind, w.Meta.Namespace, w.Meta.Name, w.Template.Spec)
	}
	for _, p := range s.Pods {
		if p.BareSpec != nil && cluster.ControllerOf(p.OwnerReferences) == nil {
			t.count("Pod", p.Namespace, p.Name, p.BareSpec)
		}
	}
	for _, q := range s.ResourceQuotas {
		t.quota(q)
	}
	for _, lr := range s.LimitRanges {
		t.limitRange(lr)
	}
	return t.result()
}

// tally is an analysis under way: per namespace, per resource and
// container type.
type tally struct {
	excluded   []string
	namespaces map[string]*Namespace
	counts     map[[3]string]*Containers
	res        Result
}

func (t *tally) skip(ns string) bool { return slices.Contains(t.excluded, ns) }

func (t *tally) ns(name string) *Namespace {
	n := t.namespaces[name]
	if n == nil {
		n = &Namespace{Name: name, DefaultRequest: map[string]bool{}, DefaultLimit: map[string]bool{}}
		t.namespaces[name] = n
	}
	return n
}

// count counts the containers of one pod spec (a workload's template, a
// bare pod) and what requests and limits they miss.
func (t *tally) count(kind, namespace, name string, spec *corev1.PodSpec) {
	if t.skip(namespace) {
		return
	}
	t.ns(namespace)
	byResource := map[corev1.ResourceName]*Missing{}
	for _, group := range []struct {
		typ string
		cs  []corev1.Container
	}{{App, spec.Containers}, {Init, spec.InitContainers}} {
		for _, c := range group.cs {
			for _, r := range Resources {
				k := [3]string{namespace, string(r), group.typ}
				cc := t.counts[k]
				if cc == nil {
					cc = &Containers{Namespace: namespace, Resource: string(r), ContainerType: group.typ}
					t.counts[k] = cc
				}
				cc.Total++
				_, hasLimit := c.Resources.Limits[r]
				_, hasRequest := c.Resources.Requests[r]
				if hasRequest && hasLimit {
					continue
				}
				m := byResource[r]
				if m == nil {
					m = &Missing{Kind: kind, Namespace: namespace, Name: name, Resource: string(r)}
					byResource[r] = m
				}
				// A limit alone sets the request to it.
				if !hasRequest && !hasLimit {
					cc.WithoutRequests++
					m.WithoutRequest = append(m.WithoutRequest, c.Name)
				}
				if !hasLimit {
					cc.WithoutLimits++
					m.WithoutLimit = append(m.WithoutLimit, c.Name)
				}
			}
		}
	}
	for _, r := range Resources {
		if m := byResource[r]; m != nil {
			t.res.Missing = append(t.res.Missing, *m)
		}
	}
}

// quota counts a ResourceQuota and the usage ratio of each resource it
// has computed.
func (t *tally) quota(q *corev1.ResourceQuota) {
	if t.skip(q.Namespace) {
		return
	}
	t.ns(q.Namespace).ResourceQuotas++
	for r, hard := range q.Status.Hard {
		used, ok := q.Status.Used[r]
		if !ok || hard.IsZero() {
			continue // not yet computed, or no ratio to speak of
		}
		t.res.Quotas = append(t.res.Quotas, Quota{Namespace: q.Namespace, Name: q.Name, Resource: string(r),
			Used: used.AsApproximateFloat64(), Hard: hard.AsApproximateFloat64()})
	}
}

// limitRange counts a LimitRange and the container defaults it gives.
func (t *tally) limitRange(lr *corev1.LimitRange) {
	if t.skip(lr.Namespace) {
		return
	}
	n := t.ns(lr.Namespace)
	n.LimitRanges++
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		for _, r := range Resources {
			// A default limit also becomes the default request.
			if _, ok := item.Default[r]; ok {
				n.DefaultLimit[string(r)] = true
				n.DefaultRequest[string(r)] = true
			}
			if _, ok := item.DefaultRequest[r]; ok {
				n.DefaultRequest[string(r)] = true
			}
		}
	}
}

// result sorts what was tallied, for stable output.
func (t *tally) result() Result {
	res := t.res
	for _, c := range t.counts {
		res.Containers = append(res.Containers, *c)
	}
	for _, n := range t.namespaces {
		res.Namespaces = append(res.Namespaces, *n)
	}
	slices.SortFunc(res.Containers, func(a, b Containers) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.ContainerType, b.ContainerType))
	})
	slices.SortFunc(res.Namespaces, func(a, b Namespace) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(res.Missing, func(a, b Missing) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Resource, b.Resource))
	})
	slices.SortFunc(res.Quotas, func(a, b Quota) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Resource, b.Resource))
	})
	return res
}
