package cluster

import (
	"net"
	"net/netip"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ServiceIndex resolves Services against one snapshot. It indexes pods
// by namespace, and their specs (for named target ports) per namespace,
// on first need: a round resolves a handful of Services, and each must
// not walk every pod of a 150,000-pod cluster again.
type ServiceIndex struct {
	s     *Snapshot
	byNS  map[string][]*Pod
	specs map[string]map[*Pod]*corev1.PodSpec
}

// NewServiceIndex indexes s.
func NewServiceIndex(s *Snapshot) *ServiceIndex {
	return &ServiceIndex{s: s, specs: map[string]map[*Pod]*corev1.PodSpec{}}
}

// Backends lists ip:port of the ready pods behind a Service port with a
// selector, as the EndpointSlice controller would publish them
// (publishNotReadyAddresses includes pods not ready yet), sorted. A named
// target port is looked up in the pod's containers (its workload's
// template, or a bare pod's own spec); a pod without it is left out, as
// the controller leaves it out. ok is false for a Service without
// selector: its endpoints are written by hand or by another controller
// (the API server's own), and only its EndpointSlices know them.
func (x *ServiceIndex) Backends(svc *corev1.Service, port int32) (addrs []string, ok bool) {
	if len(svc.Spec.Selector) == 0 {
		return nil, false
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port })
	if i < 0 {
		return nil, true
	}
	target := svc.Spec.Ports[i].TargetPort
	if target.Type == intstr.Int && target.IntVal == 0 {
		target = intstr.FromInt32(port) // unset: the Service port
	}
	selector := labels.SelectorFromSet(svc.Spec.Selector)
	for _, p := range x.pods(svc.Namespace) {
		if p.Terminating || !selector.Matches(labels.Set(p.Labels)) {
			continue
		}
		if !PodReady(p) && !(svc.Spec.PublishNotReadyAddresses && p.Phase != corev1.PodSucceeded && p.Phase != corev1.PodFailed) {
			continue
		}
		ip, err := netip.ParseAddr(p.PodIP)
		if err != nil {
			continue
		}
		n := target.IntVal
		if target.Type == intstr.String {
			spec := p.BareSpec
			if spec == nil {
				spec = x.templates(svc.Namespace)[p]
			}
			if n = namedPort(spec, target.StrVal); n == 0 {
				continue
			}
		}
		addrs = append(addrs, net.JoinHostPort(ip.String(), strconv.Itoa(int(n))))
	}
	slices.Sort(addrs)
	return slices.Compact(addrs), true
}

func (x *ServiceIndex) pods(namespace string) []*Pod {
	if x.byNS == nil {
		x.byNS = map[string][]*Pod{}
		for _, p := range x.s.Pods {
			x.byNS[p.Namespace] = append(x.byNS[p.Namespace], p)
		}
	}
	return x.byNS[namespace]
}

// templates maps a namespace's pods to their workload's pod spec.
func (x *ServiceIndex) templates(namespace string) map[*Pod]*corev1.PodSpec {
	if m, ok := x.specs[namespace]; ok {
		return m
	}
	m := map[*Pod]*corev1.PodSpec{}
	for _, w := range Workloads(x.s) {
		if w.Meta.Namespace == namespace {
			for _, p := range w.Pods {
				m[p] = w.Template.Spec
			}
		}
	}
	x.specs[namespace] = m
	return m
}

// namedPort is the container port of that name, 0 without one.
func namedPort(spec *corev1.PodSpec, name string) int32 {
	if spec == nil {
		return 0
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
	}
	return 0
}
