package ingressclass

import (
	"cmp"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Controllers are the known controller names, as in the controller label;
// anything else is "other".
var Controllers = map[string]string{
	"k8s.io/ingress-nginx":                          "ingress-nginx",
	"nginx.org/ingress-controller":                  "f5-nginx",
	"traefik.io/ingress-controller":                 "traefik",
	"haproxy.org/ingress-controller/haproxy":        "haproxy",
	"haproxy-ingress.github.io/controller":          "haproxy",
	"projectcontour.io/contour":                     "contour",
	"projectcontour.io/ingress-controller":          "contour",
	"gateway.envoyproxy.io/gatewayclass-controller": "envoy-gateway",
}

// Retired controllers no longer get fixes, security ones included.
var Retired = map[string]bool{"ingress-nginx": true}

const (
	classAnnotation   = "kubernetes.io/ingress.class"
	defaultAnnotation = "ingressclass.kubernetes.io/is-default-class"
)

// Class is one IngressClass and what it serves.
type Class struct {
	Name, Controller string
	Ingresses        int
	Default, Retired bool
}

// Ingress is one Ingress's verdict.
type Ingress struct {
	Namespace, Name, Class string
	// OnRetiredController: its class's controller is retired.
	OnRetiredController bool
}

// Result is one analysis, sorted.
type Result struct {
	Classes []Class
	// WithoutClass counts Ingresses that name no class, or name one that
	// does not exist (no IngressClass object: annotation-only classes of
	// old controllers count here too).
	WithoutClass int
	Ingresses    []Ingress
}

// ControllerOf maps spec.controller to its known name.
func ControllerOf(spec string) string {
	if c, ok := Controllers[spec]; ok {
		return c
	}
	return "other"
}

// Analyze counts Ingresses per class and flags those on retired
// controllers.
func Analyze(s *cluster.Snapshot) Result {
	var res Result
	classes := map[string]*Class{}
	defaultClass := ""
	for _, ic := range s.IngressClasses {
		c := &Class{Name: ic.Name, Controller: ControllerOf(ic.Spec.Controller), Default: ic.Annotations[defaultAnnotation] == "true"}
		c.Retired = Retired[c.Controller]
		classes[ic.Name] = c
		// Several defaults: the API server refuses new class-less Ingresses;
		// the alphabetically first is as good a guess as any for old ones.
		if c.Default && (defaultClass == "" || ic.Name < defaultClass) {
			defaultClass = ic.Name
		}
	}
	for _, ing := range s.Ingresses {
		name := classOf(ing, defaultClass)
		c := classes[name]
		v := Ingress{Namespace: ing.Namespace, Name: ing.Name, Class: name}
		if c == nil {
			res.WithoutClass++
			v.Class = ""
		} else {
			c.Ingresses++
			v.OnRetiredController = c.Retired
		}
		res.Ingresses = append(res.Ingresses, v)
	}
	for _, c := range classes {
		res.Classes = append(res.Classes, *c)
	}
	slices.SortFunc(res.Classes, func(a, b Class) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(res.Ingresses, func(a, b Ingress) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return res
}

func classOf(ing *networkingv1.Ingress, defaultClass string) string {
	if n := ing.Spec.IngressClassName; n != nil && *n != "" {
		return *n
	}
	if n := ing.Annotations[classAnnotation]; n != "" {
		return n
	}
	return defaultClass
}
