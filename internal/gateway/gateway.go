package gateway

import (
	"cmp"
	"errors"
	"slices"
)

// ErrAbsent is returned by sources while the Gateway API CRDs are not
// installed: not an error for the exporter, there is nothing to measure.
var ErrAbsent = errors.New("gateway API not installed")

// Controllers maps spec.controllerName to a known controller; anything
// else is "other".
var Controllers = map[string]string{
	"gateway.nginx.org/nginx-gateway-controller":    "nginx-gateway-fabric",
	"gateway.envoyproxy.io/gatewayclass-controller": "envoy-gateway",
	"traefik.io/gateway-controller":                 "traefik",
	"projectcontour.io/gateway-controller":          "contour",
	"istio.io/gateway-controller":                   "istio",
	"haproxy.org/gateway-controller":                "haproxy",
}

// ControllerOf maps a controllerName to its known name.
func ControllerOf(name string) string {
	if c, ok := Controllers[name]; ok {
		return c
	}
	return "other"
}

// Objects are the Gateway API objects' fields the summary reads.
type Objects struct {
	// Classes maps GatewayClass name to spec.controllerName.
	Classes map[string]string
	// GatewayClassOf lists each Gateway's spec.gatewayClassName.
	GatewayClassOf []string
	HTTPRoutes     int
	// TLSListeners are the Gateways' HTTPS and TLS listeners, with the
	// addresses in the Gateway's status.
	TLSListeners []TLSListener
}

// TLSListener is one HTTPS or TLS listener of a Gateway.
type TLSListener struct {
	Namespace, Gateway, Listener string
	// Hostname is empty for a listener that takes every name.
	Hostname string
	Port     int64
	// Addresses are status.addresses of type IPAddress (or unset);
	// HostnameAddresses those of type Hostname (not resolved).
	Addresses, HostnameAddresses []string
	// Secret is namespace/name of the Secret its first certificate
	// reference names ("" for none or another kind).
	Secret string
}

// Class is one GatewayClass's summary.
type Class struct {
	Name, Controller string
	Gateways         int
}

// Result is the summary, classes sorted by name.
type Result struct {
	Classes []Class
	// GatewaysWithoutClass counts Gateways naming a class that does not
	// exist: nothing serves them.
	GatewaysWithoutClass int
	HTTPRoutes           int
}

// Summarize counts Gateways per class.
func Summarize(o Objects) Result {
	res := Result{HTTPRoutes: o.HTTPRoutes}
	classes := map[string]*Class{}
	for name, ctrl := range o.Classes {
		classes[name] = &Class{Name: name, Controller: ControllerOf(ctrl)}
	}
	for _, c := range o.GatewayClassOf {
		if cl := classes[c]; cl != nil {
			cl.Gateways++
		} else {
			res.GatewaysWithoutClass++
		}
	}
	for _, c := range classes {
		res.Classes = append(res.Classes, *c)
	}
	slices.SortFunc(res.Classes, func(a, b Class) int { return cmp.Compare(a.Name, b.Name) })
	return res
}
