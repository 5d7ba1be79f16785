package kube

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Gateway API objects are cached with their identity and the one spec
// field read: listeners, rules and status are dropped.
func TestTrimGatewayObject(t *testing.T) {
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "edge", "namespace": "infra", "uid": "u1", "resourceVersion": "7",
			"annotations": map[string]any{"big": strings.Repeat("x", 4096)}},
		"spec":   map[string]any{"gatewayClassName": "nginx", "listeners": []any{map[string]any{"name": "http", "port": int64(80)}}},
		"status": map[string]any{"conditions": []any{}},
	}}
	got, err := trimGatewayObject(gatewayKept["gateways"])(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "edge", "namespace": "infra", "uid": "u1", "resourceVersion": "7"},
		"spec":     map[string]any{"gatewayClassName": "nginx"},
	}
	if !reflect.DeepEqual(got.(*unstructured.Unstructured).Object, want) {
		t.Errorf("trimmed %v\nwant %v", got.(*unstructured.Unstructured).Object, want)
	}
	route, _ := trimGatewayObject(gatewayKept["httproutes"])(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "r", "namespace": "shop"}, "spec": map[string]any{"rules": []any{}}}})
	if _, has := route.(*unstructured.Unstructured).Object["spec"]; has {
		t.Error("an HTTPRoute kept its spec")
	}
}

// A Gateway keeps what the TLS probes read: each listener's name,
// hostname, port, protocol and first certificate reference (a Secret,
// in the Gateway's namespace unless named), and its addresses.
func TestTrimGatewayListeners(t *testing.T) {
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "edge", "namespace": "infra"},
		"spec": map[string]any{"gatewayClassName": "nginx", "listeners": []any{
			map[string]any{"name": "https", "hostname": "shop.example", "port": int64(443), "protocol": "HTTPS",
				"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}},
				"tls": map[string]any{"mode": "Terminate", "certificateRefs": []any{
					map[string]any{"name": "shop-tls"}, map[string]any{"name": "shop-ecdsa"}}}},
			map[string]any{"name": "other", "hostname": "api.example", "port": int64(443), "protocol": "HTTPS",
				"tls": map[string]any{"certificateRefs": []any{map[string]any{"name": "api-tls", "namespace": "certs", "kind": "Secret"}}}},
			map[string]any{"name": "vault", "hostname": "v.example", "port": int64(443), "protocol": "TLS",
				"tls": map[string]any{"certificateRefs": []any{map[string]any{"name": "v", "group": "example.com", "kind": "Vault"}}}},
		}},
		"status": map[string]any{"addresses": []any{map[string]any{"type": "IPAddress", "value": "127.0.0.5"}}},
	}}
	got, err := trimGateway(in)
	if err != nil {
		t.Fatal(err)
	}
	ls := tlsListeners(got.(*unstructured.Unstructured))
	var secrets []string
	for _, l := range ls {
		secrets = append(secrets, l.Secret)
	}
	if want := []string{"infra/shop-tls", "certs/api-tls", ""}; !reflect.DeepEqual(secrets, want) {
		t.Errorf("secrets %q, want %q", secrets, want)
	}
	l0, _, _ := unstructured.NestedSlice(got.(*unstructured.Unstructured).Object, "spec", "listeners")
	if _, has := l0[0].(map[string]any)["allowedRoutes"]; has {
		t.Error("a listener kept its allowedRoutes")
	}
	if refs, _, _ := unstructured.NestedSlice(l0[0].(map[string]any), "tls", "certificateRefs"); len(refs) != 1 {
		t.Errorf("kept %d certificate references, want the first", len(refs))
	}
}
