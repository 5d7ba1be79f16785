//go:build !agentonly

package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/internal/ingressclass"
)

// The ingress analysis reads IngressClasses and Ingresses alone.
var ingressReads = []string{"ingressclasses", "ingresses"}

var ingressSpec = Spec{
	Name: "ingress", Modes: Central | Demo, DefaultEnabled: true, Reads: ingressReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_ingressclass_ingresses", Type: Gauge, Stability: Experimental,
			Help:   "Ingresses served by the IngressClass (spec.ingressClassName, the deprecated kubernetes.io/ingress.class annotation, or the default class), with the controller it maps to (ingress-nginx, f5-nginx, traefik, haproxy, contour, envoy-gateway, other).",
			Labels: []string{"ingressclass", "controller"}, Bound: "one series per IngressClass"},
		{Name: "kube_reliability_ingressclass_controller_retired", Type: Gauge, Stability: Experimental,
			Help:   "1 if the IngressClass's controller is retired and gets no fixes (ingress-nginx since March 2026), else 0.",
			Labels: []string{"ingressclass", "controller"}, Bound: "one series per IngressClass"},
		{Name: "kube_reliability_ingresses_without_class", Type: Gauge, Stability: Experimental,
			Help: "Ingresses naming no existing IngressClass when no default class exists: unless a controller watches class-less Ingresses, nothing serves them.", Bound: "one series"},
		{Name: "kube_reliability_ingress_on_retired_controller", Type: Gauge, Stability: Experimental,
			Help:   "1 if the Ingress is served by a retired controller, else 0.",
			Labels: []string{"namespace", "ingress", "ingressclass"}, Bound: "one series per Ingress"},
	},
	New: func(d Deps) (Collector, error) {
		return &ingressCollector{a: sharedAnalysis(d, "ingress", d.Cluster, ingressclass.Analyze, ingressReads...)}, nil
	},
}

type ingressCollector struct {
	a *analysis[ingressclass.Result]
}

// Version is the cluster snapshot generation: an unchanged cluster is
// served from the last output.
func (c *ingressCollector) Version() uint64 { return c.a.version() }

func (c *ingressCollector) Update(ctx context.Context, e *Emitter) error {
	res, err := c.a.get()
	if err != nil {
		return err
	}
	for _, cl := range res.Classes {
		e.Gauge("kube_reliability_ingressclass_ingresses", float64(cl.Ingresses), cl.Name, cl.Controller)
		e.Bool("kube_reliability_ingressclass_controller_retired", cl.Retired, cl.Name, cl.Controller)
	}
	e.Gauge("kube_reliability_ingresses_without_class", float64(res.WithoutClass))
	for i, ing := range res.Ingresses {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e.Bool("kube_reliability_ingress_on_retired_controller", ing.OnRetiredController, ing.Namespace, ing.Name, ing.Class)
	}
	return nil
}
