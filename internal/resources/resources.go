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
	skip := func(ns string) bool { return slices.Contains(excluded, ns) }
	namespaces := map[string]*Namespace{}
	ns := func(name string) *Namespace {
		n := namespaces[name]
		if n == nil {
			n = &Namespace{Name: name, DefaultRequest: map[string]bool{}, DefaultLimit: map[string]bool{}}
			namespaces[name] = n
		}
		return n
	}
	for _, n := range s.Namespaces {
		if !skip(n.Name) {
			ns(n.Name)
		}
	}

	counts := map[[3]string]*Containers{}
	var missing []Missing
	count := func(kind, namespace, name string, spec *corev1.PodSpec) {
		if skip(namespace) {
			return
		}
		ns(namespace)
		byResource := map[corev1.ResourceName]*Missing{}
		for _, group := range []struct {
			typ string
			cs  []corev1.Container
		}{{App, spec.Containers}, {Init, spec.InitContainers}} {
			for _, c := range group.cs {
				for _, r := range Resources {
					k := [3]string{namespace, string(r), group.typ}
					cc := counts[k]
					if cc == nil {
						cc = &Containers{Namespace: namespace, Resource: string(r), ContainerType: group.typ}
						counts[k] = cc
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
				missing = append(missing, *m)
			}
		}
	}
	for _, w := range cluster.Workloads(s) {
		count(w.Kind, w.Meta.Namespace, w.Meta.Name, &w.Template.Spec)
	}
	for _, p := range s.Pods {
		if p.BareSpec != nil && cluster.ControllerOf(p.OwnerReferences) == nil {
			count("Pod", p.Namespace, p.Name, p.BareSpec)
		}
	}

	res := Result{Missing: missing}
	for _, q := range s.ResourceQuotas {
		if skip(q.Namespace) {
			continue
		}
		ns(q.Namespace).ResourceQuotas++
		for r, hard := range q.Status.Hard {
			used, ok := q.Status.Used[r]
			if !ok || hard.IsZero() {
				continue // not yet computed, or no ratio to speak of
			}
			res.Quotas = append(res.Quotas, Quota{Namespace: q.Namespace, Name: q.Name, Resource: string(r),
				Used: used.AsApproximateFloat64(), Hard: hard.AsApproximateFloat64()})
		}
	}
	for _, lr := range s.LimitRanges {
		if skip(lr.Namespace) {
			continue
		}
		n := ns(lr.Namespace)
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

	for _, c := range counts {
		res.Containers = append(res.Containers, *c)
	}
	for _, n := range namespaces {
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
