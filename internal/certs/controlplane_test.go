package certs

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// fakeResolver answers from a table and counts the calls.
type fakeResolver struct {
	addrs map[ServiceRef][]string
	errs  map[ServiceRef]error
	calls int
}

func (f *fakeResolver) Resolve(_ context.Context, ref ServiceRef) ([]string, error) {
	f.calls++
	return f.addrs[ref], f.errs[ref]
}

// Control-plane targets: a webhook URL with an IP is dialled as is (port
// 443 by default), one with a name is not resolved; a Service is resolved
// once however many webhooks share it, to every ready address, with
// name.namespace.svc as host; a Service without endpoints or whose slices
// cannot be listed is skipped with why; local APIServices are not TLS
// servers; the API server is always there, verified with the cluster CA.
func TestControlPlane(t *testing.T) {
	t.Parallel()
	policy := &ServiceRef{Namespace: "policy", Name: "webhook", Port: 443}
	metrics := &ServiceRef{Namespace: "kube-system", Name: "metrics-server", Port: 443}
	gone := &ServiceRef{Namespace: "mesh", Name: "injector", Port: 8443}
	hooks := []Webhook{
		{Kind: KindValidating, Configuration: "policy", Name: "a.policy", Service: policy, CABundle: []byte("A")},
		{Kind: KindValidating, Configuration: "policy", Name: "b.policy", Service: policy, CABundle: []byte("A")},
		{Kind: KindValidating, Configuration: "ext", Name: "ip", URL: "https://127.0.0.9/validate"},
		{Kind: KindValidating, Configuration: "ext", Name: "ip-port", URL: "https://[::1]:9443/validate"},
		{Kind: KindMutating, Configuration: "ext", Name: "dns", URL: "https://hooks.example:8443/mutate"},
		{Kind: KindMutating, Configuration: "inject", Name: "sidecar", Service: gone},
	}
	apis := []APIService{
		{Name: "v1.apps", Local: true},
		{Name: "v1beta1.metrics.k8s.io", Service: metrics, CABundle: []byte("M")},
	}
	r := &fakeResolver{
		addrs: map[ServiceRef][]string{
			*policy:          {"127.0.0.20:8443", "127.0.0.21:8443"},
			APIServerService: {"127.0.0.1:6443"},
		},
		errs: map[ServiceRef]error{*metrics: errors.New("forbidden")},
	}
	d, errs := ControlPlane(context.Background(), Targets(hooks, apis, APIServer(true, "https://10.0.0.1:443", []byte("CA"))), r)
	want := Discovery{
		Endpoints: []Endpoint{
			{KindAPIServer, "default", "kubernetes", "kubernetes.default.svc", "127.0.0.1:6443", "CA"},
			{KindValidating, "", "ext", "127.0.0.9", "127.0.0.9:443", ""},
			{KindValidating, "", "ext", "::1", "[::1]:9443", ""},
			{KindValidating, "", "policy", "webhook.policy.svc", "127.0.0.20:8443", "A"},
			{KindValidating, "", "policy", "webhook.policy.svc", "127.0.0.21:8443", "A"},
		},
		Skipped: []Skipped{
			{KindAPIService, "", "v1beta1.metrics.k8s.io", "metrics-server.kube-system.svc", SkippedResolveError},
			{KindMutating, "", "ext", "hooks.example", SkippedDNSAddress},
			{KindMutating, "", "inject", "injector.mesh.svc", SkippedNoEndpoints},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got\n%+v\nwant\n%+v", d, want)
	}
	if r.calls != 4 {
		t.Errorf("%d resolutions, want 4 (one per Service)", r.calls)
	}
	// From outside the cluster: the kubeconfig's server.
	outside, _ := ControlPlane(context.Background(), Targets(nil, nil, APIServer(false, "https://127.0.0.1:6443", nil)), r)
	if want := []Endpoint{{KindAPIServer, "default", "kubernetes", "127.0.0.1", "127.0.0.1:6443", ""}}; !reflect.DeepEqual(outside.Endpoints, want) {
		t.Errorf("API server from a kubeconfig: %+v, want %+v", outside.Endpoints, want)
	}
	if len(errs) != 1 || errs[*metrics] == nil {
		t.Errorf("errors %v, want the metrics-server's", errs)
	}
	// The snapshot's kinds and the control plane's are told apart.
	if w := d.Without(KindAPIServer, KindValidating); len(w.Endpoints) != 0 || len(w.Skipped) != 3 {
		t.Errorf("Without: %+v", w)
	}
}
