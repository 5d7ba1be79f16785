package certs

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"slices"
)

// Kinds of control-plane endpoint (webhooks keep their configuration's
// kind: KindValidating, KindMutating).
const (
	KindAPIServer  = "APIServer"
	KindAPIService = "APIService"
)

// More reasons a host is not probed, for endpoints behind a Service.
const (
	SkippedNoEndpoints  = "no_endpoints"  // the Service is missing, lacks the port, or has no ready endpoint
	SkippedResolveError = "resolve_error" // its EndpointSlices could not be listed (the log says why)
)

// APIServerService is where the API server's own endpoints are
// published: the default/kubernetes Service, whose EndpointSlice the API
// servers write with their advertised addresses.
var APIServerService = ServiceRef{Namespace: "default", Name: "kubernetes", Port: 443}

// Target is a control-plane TLS server the objects name: a fixed URL or a
// Service, and the CA bundle its clients verify it with.
type Target struct {
	Kind, Namespace, Name string
	URL                   string
	Service               *ServiceRef
	CABundle              []byte
}

// APIServer is the API server as a target, verified with the CA the
// exporter's own client trusts (nil: the configured roots). In a pod the
// client reaches it through the default/kubernetes Service's ClusterIP,
// which is never dialled: every API server publishes its address in that
// Service's EndpointSlice, and each is probed (one API server of three
// still serving last year's certificate is found). From outside, with a
// kubeconfig, the server URL it names is probed.
func APIServer(inCluster bool, serverURL string, ca []byte) Target {
	t := Target{Kind: KindAPIServer, Namespace: APIServerService.Namespace, Name: APIServerService.Name, CABundle: ca}
	if inCluster {
		t.Service = &APIServerService
	} else {
		t.URL = serverURL
	}
	return t
}

// Targets lists the admission webhooks, the aggregated APIs served
// elsewhere and the extra targets (the API server).
func Targets(hooks []Webhook, apis []APIService, extra ...Target) []Target {
	out := slices.Clone(extra)
	for _, h := range hooks {
		out = append(out, Target{Kind: h.Kind, Name: h.Configuration, URL: h.URL, Service: h.Service, CABundle: h.CABundle})
	}
	for _, a := range apis {
		if a.Local || a.Service == nil {
			continue
		}
		out = append(out, Target{Kind: KindAPIService, Name: a.Name, Service: a.Service, CABundle: a.CABundle})
	}
	return out
}

// Resolver finds the ready addresses (ip:port) that serve a Service's
// port: its EndpointSlices, never its ClusterIP (which only kube-proxy
// knows how to reach, and which picks one backend of many at random).
// No addresses and no error: nothing serves it.
type Resolver interface {
	Resolve(ctx context.Context, ref ServiceRef) ([]string, error)
}

// ControlPlane turns the targets into endpoints: a URL's host when it is
// an IP address (a name is not resolved), a Service's ready endpoint
// addresses through r, each Service resolved once. The host sent as SNI
// is the URL's host or name.namespace.svc, as the API server sends it.
func ControlPlane(ctx context.Context, targets []Target, r Resolver) (Discovery, map[ServiceRef]error) {
	var d Discovery
	type resolved struct {
		addrs []string
		err   error
	}
	cache := map[ServiceRef]resolved{}
	var errs map[ServiceRef]error
	for _, t := range targets {
		skip := func(host, reason string) {
			d.Skipped = append(d.Skipped, Skipped{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Host: host, Reason: reason})
		}
		add := func(host, addr string) {
			d.Endpoints = append(d.Endpoints, Endpoint{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Host: host, Address: addr, CABundle: string(t.CABundle)})
		}
		switch {
		case t.URL != "":
			u, err := url.Parse(t.URL)
			if err != nil || u.Scheme != "https" || u.Hostname() == "" {
				skip(t.URL, SkippedNoAddress) // the API server refuses such a URL: not expected
				continue
			}
			host, port := u.Hostname(), u.Port()
			if port == "" {
				port = "443"
			}
			ip, err := netip.ParseAddr(host)
			if err != nil {
				skip(host, SkippedDNSAddress)
				continue
			}
			add(host, net.JoinHostPort(ip.String(), port))
		case t.Service != nil:
			ref := *t.Service
			res, ok := cache[ref]
			if !ok {
				res.addrs, res.err = r.Resolve(ctx, ref)
				cache[ref] = res
				if res.err != nil {
					if errs == nil {
						errs = map[ServiceRef]error{}
					}
					errs[ref] = res.err
				}
			}
			switch {
			case res.err != nil:
				skip(ref.Host(), SkippedResolveError)
			case len(res.addrs) == 0:
				skip(ref.Host(), SkippedNoEndpoints)
			}
			for _, a := range res.addrs {
				add(ref.Host(), a)
			}
		}
	}
	d = d.sorted()
	d.Skipped = slices.Compact(d.Skipped) // webhooks of one configuration sharing a Service
	return d, errs
}
