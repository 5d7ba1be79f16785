package ingressclass

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

func class(name, controller string, isDefault bool) *networkingv1.IngressClass {
	ic := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: networkingv1.IngressClassSpec{Controller: controller}}
	if isDefault {
		ic.Annotations = map[string]string{defaultAnnotation: "true"}
	}
	return ic
}

func ingress(name, className, annotation string) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
	if className != "" {
		ing.Spec.IngressClassName = &className
	}
	if annotation != "" {
		ing.Annotations = map[string]string{classAnnotation: annotation}
	}
	return ing
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{
		IngressClasses: []*networkingv1.IngressClass{
			class("nginx", "k8s.io/ingress-nginx", false),
			class("traefik", "traefik.io/ingress-controller", true),
			class("custom", "example.com/mine", false),
		},
		Ingresses: []*networkingv1.Ingress{
			ingress("a", "nginx", ""),
			ingress("b", "", "nginx"),       // the deprecated annotation
			ingress("c", "", ""),            // the default class
			ingress("d", "gone", ""),        // a class that does not exist
			ingress("e", "custom", "nginx"), // spec wins over the annotation
		},
	}
	r := Analyze(s)
	want := []Class{
		{Name: "custom", Controller: "other", Ingresses: 1},
		{Name: "nginx", Controller: "ingress-nginx", Ingresses: 2, Retired: true},
		{Name: "traefik", Controller: "traefik", Ingresses: 1, Default: true},
	}
	if len(r.Classes) != len(want) {
		t.Fatalf("classes %+v", r.Classes)
	}
	for i := range want {
		if r.Classes[i] != want[i] {
			t.Errorf("class %d = %+v, want %+v", i, r.Classes[i], want[i])
		}
	}
	if r.WithoutClass != 1 {
		t.Errorf("without class %d, want 1", r.WithoutClass)
	}
	retired := 0
	for _, i := range r.Ingresses {
		if i.OnRetiredController {
			retired++
		}
	}
	if retired != 2 {
		t.Errorf("%d ingresses on a retired controller, want 2", retired)
	}
}
