package kube

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/synthetic"
)

// BenchmarkResolveServices: one probe round's resolution of 20 webhook
// Services (selector, named target port) in a 150,000-pod cluster whose
// pods share one namespace (the worst case: nothing to skip by namespace).
func BenchmarkResolveServices(b *testing.B) {
	s := synthetic.Cluster(150000)
	s.Memoize() // as the informers hand it out: workloads derived once
	var refs []certs.ServiceRef
	for i := range 20 {
		name := fmt.Sprintf("hook-%d", i)
		s.Services = append(s.Services, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": fmt.Sprintf("app-%d", i*100)},
				Ports: []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromString("https")}}}})
		refs = append(refs, certs.ServiceRef{Namespace: "ns", Name: name, Port: 443})
	}
	b.ReportAllocs()
	for b.Loop() {
		r := NewServiceEndpoints(nil, s)
		for _, ref := range refs {
			if _, err := r.Resolve(context.Background(), ref); err != nil {
				b.Fatal(err)
			}
		}
	}
}
