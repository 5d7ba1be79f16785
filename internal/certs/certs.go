package certs

import (
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
)

// Kinds of endpoint.
const (
	KindIngress = "Ingress"
	KindGateway = "Gateway"
)

// Endpoint is one host served at one address.
type Endpoint struct {
	Kind, Namespace, Name string
	Host                  string
	// Address is ip:port, dialled as is.
	Address string
	// CABundle is the PEM bundle the chain is verified with (a webhook's
	// or an APIService's caBundle, the cluster CA for the API server);
	// empty: the configured roots.
	CABundle string
}

// Skipped is a TLS host that cannot be probed, and why.
type Skipped struct {
	Kind, Namespace, Name, Host string
	Reason                      string
}

// Why a host is not probed.
const (
	SkippedNoAddress  = "no_address"  // the object's status lists no address yet
	SkippedDNSAddress = "dns_address" // only a load balancer host name, not resolved
	SkippedWildcard   = "wildcard"    // *.example.com: no host to send as SNI
	SkippedNoHosts    = "no_hosts"    // a TLS entry without hosts: the controller's default certificate serves it
)

// Discovery is one pass over the snapshot.
type Discovery struct {
	Endpoints []Endpoint
	Skipped   []Skipped
}

// Discover lists the TLS endpoints of the snapshot's Ingresses, sorted
// (port 443 of each address).
func Discover(s *cluster.Snapshot) Discovery {
	var d Discovery
	for _, ing := range s.Ingresses {
		var addrs []string
		dnsOnly := false
		for _, lb := range ing.Status.LoadBalancer.Ingress {
			if ip, err := netip.ParseAddr(lb.IP); err == nil {
				addrs = append(addrs, net.JoinHostPort(ip.String(), "443"))
			} else if lb.Hostname != "" {
				dnsOnly = true
			}
		}
		skip := func(host, reason string) {
			d.Skipped = append(d.Skipped, Skipped{Kind: KindIngress, Namespace: ing.Namespace, Name: ing.Name, Host: host, Reason: reason})
		}
		for _, tls := range ing.Spec.TLS {
			if len(tls.Hosts) == 0 {
				skip("", SkippedNoHosts)
			}
			for _, host := range tls.Hosts {
				switch {
				case strings.HasPrefix(host, "*."):
					skip(host, SkippedWildcard)
				case len(addrs) == 0 && dnsOnly:
					skip(host, SkippedDNSAddress)
				case len(addrs) == 0:
					skip(host, SkippedNoAddress)
				}
				if strings.HasPrefix(host, "*.") {
					continue
				}
				for _, a := range addrs {
					d.Endpoints = append(d.Endpoints, Endpoint{Kind: KindIngress, Namespace: ing.Namespace, Name: ing.Name, Host: host, Address: a})
				}
			}
		}
	}
	return d.sorted()
}

// Gateways lists the TLS endpoints of Gateway API listeners (HTTPS and
// TLS): each listener's hostname at each IP address of its Gateway's
// status, on the listener's port.
func Gateways(listeners []gateway.TLSListener) Discovery {
	var d Discovery
	for _, l := range listeners {
		skip := func(reason string) {
			d.Skipped = append(d.Skipped, Skipped{Kind: KindGateway, Namespace: l.Namespace, Name: l.Gateway, Host: l.Hostname, Reason: reason})
		}
		switch {
		case l.Hostname == "":
			skip(SkippedNoHosts)
			continue
		case strings.HasPrefix(l.Hostname, "*."):
			skip(SkippedWildcard)
			continue
		}
		n := 0
		for _, a := range l.Addresses {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				continue
			}
			d.Endpoints = append(d.Endpoints, Endpoint{Kind: KindGateway, Namespace: l.Namespace, Name: l.Gateway, Host: l.Hostname,
				Address: net.JoinHostPort(ip.String(), strconv.FormatInt(l.Port, 10))})
			n++
		}
		switch {
		case n == 0 && len(l.HostnameAddresses) > 0:
			skip(SkippedDNSAddress)
		case n == 0:
			skip(SkippedNoAddress)
		}
	}
	return d.sorted()
}

// Without returns d without the endpoints and skipped hosts of kinds.
func (d Discovery) Without(kinds ...string) Discovery {
	var out Discovery
	for _, e := range d.Endpoints {
		if !slices.Contains(kinds, e.Kind) {
			out.Endpoints = append(out.Endpoints, e)
		}
	}
	for _, s := range d.Skipped {
		if !slices.Contains(kinds, s.Kind) {
			out.Skipped = append(out.Skipped, s)
		}
	}
	return out
}

// Merge adds o's endpoints and skipped hosts to d's.
// ObjectKinds are the kinds whose endpoints are read from objects (a
// snapshot's Ingresses, the Gateway API's listeners); the others
// (webhooks, aggregated APIs, the API server) are resolved through the
// API server, by ControlPlane.
var ObjectKinds = []string{KindIngress, KindGateway}

// Compose is every TLS endpoint to probe, composed in one place for the
// prober and the certificates collector: the Ingress hosts (Discover's),
// the HTTPS and TLS listeners of Gateways (none where the Gateway API is
// not watched) and the control plane's endpoints (ControlPlane's; of a
// discovery that holds more, only the control plane's kinds are taken).
func Compose(ingresses Discovery, listeners []gateway.TLSListener, controlPlane Discovery) Discovery {
	return ingresses.Merge(Gateways(listeners)).Merge(controlPlane.Without(ObjectKinds...))
}

func (d Discovery) Merge(o Discovery) Discovery {
	return Discovery{Endpoints: append(slices.Clone(d.Endpoints), o.Endpoints...), Skipped: append(slices.Clone(d.Skipped), o.Skipped...)}.sorted()
}

func (d Discovery) sorted() Discovery {
	slices.SortFunc(d.Endpoints, compareEndpoints)
	d.Endpoints = slices.Compact(d.Endpoints)
	slices.SortFunc(d.Skipped, func(a, b Skipped) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Reason, b.Reason))
	})
	return d
}

func compareEndpoints(a, b Endpoint) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Host, b.Host), cmp.Compare(a.Address, b.Address), cmp.Compare(a.CABundle, b.CABundle))
}
