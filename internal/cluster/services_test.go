package cluster

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// A Service's backends as its EndpointSlices would list them: ready pods
// matching the selector in its namespace; a named target port from the
// workload's template or a bare pod's spec (a pod without it is left
// out); publishNotReadyAddresses takes unready pods too; a Service
// without selector is not decided here.
func TestServiceBackends(t *testing.T) {
	t.Parallel()
	yes := true
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "hook"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{Name: "tls", ContainerPort: 8443}}}}}}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "p", Name: "hook", UID: "d"}, Spec: appsv1.DeploymentSpec{Template: tmpl}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "p", Name: "hook-1", UID: "r",
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "hook", UID: "d", Controller: &yes}}}, Spec: appsv1.ReplicaSetSpec{Template: tmpl}}
	pod := func(name, ip string, ready bool, owned bool) *Pod {
		p := &Pod{Namespace: "p", Name: name, Labels: map[string]string{"app": "hook"}, PodIP: ip, Phase: corev1.PodRunning, Ready: ready}
		if owned {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "hook-1", UID: "r", Controller: &yes}}
		} else {
			p.BareSpec = &corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}} // no port named tls
		}
		return p
	}
	other := pod("elsewhere", "127.0.0.9", true, true)
	other.Namespace = "q"
	s := &Snapshot{Deployments: Deployments(dep), ReplicaSets: []*appsv1.ReplicaSet{rs}, Pods: []*Pod{
		pod("a", "127.0.0.2", true, true), pod("b", "127.0.0.1", true, true), pod("c", "127.0.0.3", false, true),
		pod("bare", "127.0.0.4", true, false), pod("noip", "", true, true), other,
	}}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "p", Name: "hook"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "hook"},
		Ports:    []corev1.ServicePort{{Port: 443, TargetPort: intstr.FromString("tls")}, {Port: 80}},
	}}
	check := func(port int32, want []string) {
		t.Helper()
		got, ok := NewServiceIndex(s).Backends(svc, port)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("port %d: %v %v, want %v", port, got, ok, want)
		}
	}
	check(443, []string{"127.0.0.1:8443", "127.0.0.2:8443"})
	check(80, []string{"127.0.0.1:80", "127.0.0.2:80", "127.0.0.4:80"})
	check(8080, nil) // no such Service port
	svc.Spec.PublishNotReadyAddresses = true
	check(443, []string{"127.0.0.1:8443", "127.0.0.2:8443", "127.0.0.3:8443"})
	svc.Spec.Selector = nil
	if _, ok := NewServiceIndex(s).Backends(svc, 443); ok {
		t.Error("a Service without selector was resolved from pods")
	}
}
