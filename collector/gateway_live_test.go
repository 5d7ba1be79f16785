package collector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installGatewayCRD installs a minimal CRD for one Gateway API kind.
func installGatewayCRD(t *testing.T, dyn dynamic.Interface, plural, kind string, namespaced bool) {
	t.Helper()
	scope := "Cluster"
	if namespaced {
		scope = "Namespaced"
	}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		// *.k8s.io groups need the approval annotation; the upstream
		// Gateway API CRDs carry it.
		"metadata": map[string]any{"name": plural + ".gateway.networking.k8s.io",
			"annotations": map[string]any{"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/2466"}},
		"spec": map[string]any{
			"group": "gateway.networking.k8s.io", "scope": scope,
			"names": map[string]any{"plural": plural, "singular": strings.ToLower(kind), "kind": kind, "listKind": kind + "List"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := dyn.Resource(crdGVR).Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("install CRD %s: %v", plural, err)
	}
}

// TestGatewayAPILive: without the Gateway API CRDs there are no series and
// no error; installed mid-test, they are picked up and counted exactly.
func TestGatewayAPILive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	admin := dynamic.NewForConfigOrDie(env.Config)
	sa := dynamic.NewForConfigOrDie(env.ServiceAccountConfig("kube-reliability", "exporter"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	gw := kube.NewGatewayWatcher(client.Discovery(), sa, 200*time.Millisecond, logger)
	go gw.Run(ctx)
	set, err := collector.NewSet([]*collector.Spec{mustSpec(t, "gateway")}, collector.Deps{Logger: logger, Gateway: gw}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(set)

	got := samples(t, reg)
	for k := range got {
		if strings.Contains(k, "gateway") && !strings.HasPrefix(k, "kube_reliability_scrape_collector") && !strings.HasPrefix(k, "kube_reliability_collector_updates_total") {
			t.Errorf("series %s without the Gateway API CRDs", k)
		}
	}
	if got[`kube_reliability_scrape_collector_success{collector="gateway"}`] != 1 {
		t.Error("absent Gateway API CRDs must not fail the collector")
	}

	installGatewayCRD(t, admin, "gatewayclasses", "GatewayClass", false)
	installGatewayCRD(t, admin, "gateways", "Gateway", true)
	installGatewayCRD(t, admin, "httproutes", "HTTPRoute", true)
	create := func(resource string, namespaced bool, obj map[string]any) {
		gvr := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: resource}
		testenv.Eventually(t, 30*time.Second, func() error { // the CRD becomes established a moment later
			var err error
			u := &unstructured.Unstructured{Object: obj}
			if namespaced {
				_, err = admin.Resource(gvr).Namespace("shop").Create(ctx, u, metav1.CreateOptions{})
			} else {
				_, err = admin.Resource(gvr).Create(ctx, u, metav1.CreateOptions{})
			}
			return err
		})
	}
	env.EnsureNamespace("shop")
	meta := func(name string) map[string]any { return map[string]any{"name": name} }
	obj := func(kind, name string, spec map[string]any) map[string]any {
		return map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind, "metadata": meta(name), "spec": spec}
	}
	create("gatewayclasses", false, obj("GatewayClass", "nginx", map[string]any{"controllerName": "gateway.nginx.org/nginx-gateway-controller"}))
	create("gatewayclasses", false, obj("GatewayClass", "eg", map[string]any{"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}))
	for i, class := range []string{"nginx", "nginx", "eg", "nope"} {
		create("gateways", true, obj("Gateway", fmt.Sprintf("gw-%d", i), map[string]any{"gatewayClassName": class,
			"listeners": []any{map[string]any{"name": "http", "port": int64(80), "protocol": "HTTP"}}}))
	}
	for i := range 3 {
		create("httproutes", true, obj("HTTPRoute", fmt.Sprintf("route-%d", i), map[string]any{}))
	}
	testenv.Eventually(t, 30*time.Second, expectation(t, reg, map[string]float64{
		`kube_reliability_gatewayclass_gateways{controller="nginx-gateway-fabric",gatewayclass="nginx"}`: 2,
		`kube_reliability_gatewayclass_gateways{controller="envoy-gateway",gatewayclass="eg"}`:           1,
		`kube_reliability_gateways_without_class{}`:                                                      1,
		`kube_reliability_httproutes{}`:                                                                  3,
	}))
}
