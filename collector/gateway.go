//go:build !agentonly

package collector

import (
	"context"
	"errors"

	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
)

// GatewaySource hands out the Gateway API objects: an error wrapping
// gateway.ErrAbsent while the CRDs are not installed, cluster.ErrNotSynced
// while they are but the caches have not synced.
type GatewaySource interface {
	Objects() (gateway.Objects, error)
}

var gatewaySpec = Spec{
	Name: "gateway", Modes: Central | Demo, DefaultEnabled: true, Uses: []Source{GatewayAPI},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_gatewayclass_gateways", Type: Gauge, Stability: Experimental,
			Help:   "Gateways of the GatewayClass, with the controller it maps to (nginx-gateway-fabric, envoy-gateway, traefik, contour, istio, haproxy, other); absent without the Gateway API CRDs.",
			Labels: []string{"gatewayclass", "controller"}, Bound: "one series per GatewayClass"},
		{Name: "kube_reliability_gateways_without_class", Type: Gauge, Stability: Experimental,
			Help: "Gateways naming a GatewayClass that does not exist: nothing serves them; absent without the Gateway API CRDs.", Bound: "one series"},
		{Name: "kube_reliability_httproutes", Type: Gauge, Stability: Experimental,
			Help: "HTTPRoutes in the cluster; absent without the Gateway API CRDs.", Bound: "one series"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Gateway == nil {
			return noSource{}, nil
		}
		return gatewayCollector{d.Gateway}, nil
	},
}

type gatewayCollector struct{ src GatewaySource }

func (c gatewayCollector) Update(_ context.Context, e *Emitter) error {
	o, err := c.src.Objects()
	if errors.Is(err, gateway.ErrAbsent) {
		return nil // no Gateway API here (yet): nothing to say, no error noise
	}
	if err != nil {
		return err // installed but not known yet: success 0, not a silent nothing
	}
	res := gateway.Summarize(o)
	for _, cl := range res.Classes {
		e.Gauge("kube_reliability_gatewayclass_gateways", float64(cl.Gateways), cl.Name, cl.Controller)
	}
	e.Gauge("kube_reliability_gateways_without_class", float64(res.GatewaysWithoutClass))
	e.Gauge("kube_reliability_httproutes", float64(res.HTTPRoutes))
	return nil
}
