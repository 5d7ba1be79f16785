package collector_test

import (
	"context"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestIngressClassesLive: IngressClasses of several controllers and
// Ingresses with and without a class on the real API server, read as the
// shipped role; then a new Ingress on the retired controller arrives
// through the watch.
func TestIngressClassesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()
	mkClass := func(name, controller string, isDefault bool) {
		ic := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: networkingv1.IngressClassSpec{Controller: controller}}
		if isDefault {
			ic.Annotations = map[string]string{"ingressclass.kubernetes.io/is-default-class": "true"}
		}
		if _, err := env.Client.NetworkingV1().IngressClasses().Create(ctx, ic, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mkIngress := func(ns, name, class string) {
		env.EnsureNamespace(ns)
		ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: networkingv1.IngressSpec{
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}
		if class != "" {
			ing.Spec.IngressClassName = &class
		}
		if _, err := env.Client.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mkClass("nginx", "k8s.io/ingress-nginx", false)
	mkClass("f5", "nginx.org/ingress-controller", false)
	mkClass("haproxy", "haproxy.org/ingress-controller/haproxy", false)
	mkIngress("shop", "a", "nginx")
	mkIngress("shop", "b", "nginx")
	mkIngress("shop", "c", "f5")
	mkIngress("blog", "d", "")        // no class and no default
	mkIngress("blog", "e", "missing") // a class that does not exist

	reg := liveRegistry(t, client, collector.Deps{}, "ingress")
	testenv.Eventually(t, 10*time.Second, expectation(t, reg, map[string]float64{
		`kube_reliability_ingressclass_ingresses{controller="ingress-nginx",ingressclass="nginx"}`:          2,
		`kube_reliability_ingressclass_ingresses{controller="f5-nginx",ingressclass="f5"}`:                  1,
		`kube_reliability_ingressclass_ingresses{controller="haproxy",ingressclass="haproxy"}`:              0,
		`kube_reliability_ingressclass_controller_retired{controller="ingress-nginx",ingressclass="nginx"}`: 1,
		`kube_reliability_ingressclass_controller_retired{controller="f5-nginx",ingressclass="f5"}`:         0,
		`kube_reliability_ingresses_without_class{}`:                                                        2,
		`kube_reliability_ingress_on_retired_controller{ingress="a",ingressclass="nginx",namespace="shop"}`: 1,
		`kube_reliability_ingress_on_retired_controller{ingress="c",ingressclass="f5",namespace="shop"}`:    0,
	}))

	// A default class created later adopts the class-less Ingress.
	mkClass("traefik", "traefik.io/ingress-controller", true)
	mkIngress("shop", "f", "nginx")
	testenv.Eventually(t, 10*time.Second, expectation(t, reg, map[string]float64{
		`kube_reliability_ingressclass_ingresses{controller="traefik",ingressclass="traefik"}`:     1,
		`kube_reliability_ingressclass_ingresses{controller="ingress-nginx",ingressclass="nginx"}`: 3,
		`kube_reliability_ingresses_without_class{}`:                                               1,
	}))
}
