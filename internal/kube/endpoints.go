//go:build !agentonly

package kube

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// ServiceEndpoints resolves a Service port to the ready addresses behind
// it. A Service with a selector is resolved from the snapshot's pods
// (cluster.ServiceIndex: what its EndpointSlices would say, without an
// API call); one without (the API server's own default/kubernetes, and
// endpoints written by hand) from its EndpointSlices, listed on demand by
// the service-name label: a handful of Services every few minutes costs
// less than watching every EndpointSlice of a large cluster.
type ServiceEndpoints struct {
	client   kubernetes.Interface
	index    *cluster.ServiceIndex
	services map[[2]string]*corev1.Service
}

// NewServiceEndpoints resolves against the snapshot's Services.
func NewServiceEndpoints(client kubernetes.Interface, snap *cluster.Snapshot) *ServiceEndpoints {
	r := &ServiceEndpoints{client: client, index: cluster.NewServiceIndex(snap), services: make(map[[2]string]*corev1.Service, len(snap.Services))}
	for _, s := range snap.Services {
		r.services[[2]string{s.Namespace, s.Name}] = s
	}
	return r
}

// Resolve implements certs.Resolver: ip:port of every ready endpoint,
// sorted; none when the Service or its port does not exist.
func (r *ServiceEndpoints) Resolve(ctx context.Context, ref certs.ServiceRef) ([]string, error) {
	svc := r.services[[2]string{ref.Namespace, ref.Name}]
	if svc == nil {
		return nil, nil
	}
	if addrs, ok := r.index.Backends(svc, ref.Port); ok {
		return addrs, nil
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == ref.Port })
	if i < 0 {
		return nil, nil
	}
	portName := svc.Spec.Ports[i].Name
	list, err := r.client.DiscoveryV1().EndpointSlices(ref.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + ref.Name, ResourceVersion: "0"})
	if err != nil {
		return nil, fmt.Errorf("list EndpointSlices of service %s: %w", ref.String(), err)
	}
	var out []string
	for _, s := range list.Items {
		j := slices.IndexFunc(s.Ports, func(p discoveryv1.EndpointPort) bool {
			return p.Port != nil && (p.Name == nil && portName == "" || p.Name != nil && *p.Name == portName)
		})
		if j < 0 {
			continue
		}
		port := fmt.Sprint(*s.Ports[j].Port)
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue // nil is ready: the API's own reading
			}
			// One address per endpoint: the others name the same pod.
			if len(ep.Addresses) == 0 {
				continue
			}
			if ip, err := netip.ParseAddr(ep.Addresses[0]); err == nil {
				out = append(out, net.JoinHostPort(ip.String(), port))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
