//go:build !agentonly

package kube

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
)

// GatewayGroupVersion is the Gateway API version watched.
const GatewayGroupVersion = "gateway.networking.k8s.io/v1"

var gatewayResources = map[string]schema.GroupVersionResource{
	"gatewayclasses": {Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"},
	"gateways":       {Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"},
	"httproutes":     {Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"},
}

// gatewayKept is the one spec field analysis reads of each kind
// (HTTPRoutes are only counted).
var gatewayKept = map[string]string{"gatewayclasses": "controllerName", "gateways": "gatewayClassName"}

// trimGatewayObject keeps an object's identity and the spec field named
// (none if empty): routes and listeners can be large, and the cache
// would otherwise hold every one whole.
func trimGatewayObject(field string) cache.TransformFunc {
	return func(obj any) (any, error) {
		var paths [][]string
		if field != "" {
			paths = append(paths, []string{"spec", field})
		}
		if out, ok := trimUnstructured(obj, paths...); ok {
			return out, nil
		}
		return obj, nil
	}
}

// trimGateway keeps a Gateway's class, its listeners' name, hostname,
// port, protocol and first certificate reference, and its status
// addresses: what the summary and the TLS probes read.
func trimGateway(obj any) (any, error) {
	out, ok := trimUnstructured(obj, []string{"spec", "gatewayClassName"}, []string{"status", "addresses"})
	if !ok {
		return obj, nil
	}
	// Of the listeners, only what the TLS probes read: routes and
	// certificate references can be many (the first is the one served
	// for the listener's hostname, matched with cert-manager's).
	if ls, found, _ := unstructured.NestedSlice(obj.(*unstructured.Unstructured).Object, "spec", "listeners"); found {
		var kept []any
		for _, l := range ls {
			m, ok := l.(map[string]any)
			if !ok {
				continue
			}
			k := map[string]any{}
			for _, f := range []string{"name", "hostname", "port", "protocol"} {
				if v, ok := m[f]; ok {
					k[f] = v
				}
			}
			if refs, _, _ := unstructured.NestedSlice(m, "tls", "certificateRefs"); len(refs) > 0 {
				k["tls"] = map[string]any{"certificateRefs": refs[:1]}
			}
			kept = append(kept, k)
		}
		_ = unstructured.SetNestedSlice(out.Object, kept, "spec", "listeners")
	}
	return out, nil
}

// GatewayWatcher watches the Gateway API objects once their CRDs exist
// (all three resources served; see crdWatch).
type GatewayWatcher struct{ *crdWatch }

// NewGatewayWatcher builds the watcher.
func NewGatewayWatcher(disc discovery.DiscoveryInterface, dyn dynamic.Interface, interval time.Duration, logger *slog.Logger) *GatewayWatcher {
	trim := map[string]cache.TransformFunc{}
	for name := range gatewayResources {
		trim[name] = trimGatewayObject(gatewayKept[name])
	}
	trim["gateways"] = trimGateway
	return &GatewayWatcher{&crdWatch{disc: disc, dyn: dyn, interval: interval, logger: logger,
		gv: schema.GroupVersion{Group: "gateway.networking.k8s.io", Version: "v1"}, resources: gatewayResources, trim: trim,
		found: "gateway API found, watching it"}}
}

// Objects returns the Gateway API objects: gateway.ErrAbsent while the
// CRDs are absent, cluster.ErrNotSynced until the caches have synced.
func (g *GatewayWatcher) Objects() (gateway.Objects, error) {
	infs, ok := g.synced()
	if infs == nil {
		return gateway.Objects{}, gateway.ErrAbsent
	}
	if !ok {
		return gateway.Objects{}, cluster.ErrNotSynced
	}
	o := gateway.Objects{Classes: map[string]string{}}
	for _, obj := range infs["gatewayclasses"].GetStore().List() {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			ctrl, _, _ := unstructured.NestedString(u.Object, "spec", "controllerName")
			o.Classes[u.GetName()] = ctrl
		}
	}
	for _, obj := range infs["gateways"].GetStore().List() {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			class, _, _ := unstructured.NestedString(u.Object, "spec", "gatewayClassName")
			o.GatewayClassOf = append(o.GatewayClassOf, class)
			o.TLSListeners = append(o.TLSListeners, tlsListeners(u)...)
		}
	}
	o.HTTPRoutes = len(infs["httproutes"].GetStore().List())
	return o, nil
}

// WaitForSync waits until the Gateway API objects are known or ctx is done
// (demo only: in central the CRDs may never come).
func (g *GatewayWatcher) WaitForSync(ctx context.Context) bool {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := g.Objects(); err == nil {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// tlsListeners reads a trimmed Gateway's HTTPS and TLS listeners.
func tlsListeners(u *unstructured.Unstructured) []gateway.TLSListener {
	var ips, names []string
	as, _, _ := unstructured.NestedSlice(u.Object, "status", "addresses")
	for _, a := range as {
		m, _ := a.(map[string]any)
		v, _ := m["value"].(string)
		switch t, _ := m["type"].(string); t {
		case "", "IPAddress":
			ips = append(ips, v)
		case "Hostname":
			names = append(names, v)
		}
	}
	var out []gateway.TLSListener
	ls, _, _ := unstructured.NestedSlice(u.Object, "spec", "listeners")
	for _, l := range ls {
		m, _ := l.(map[string]any)
		if p, _ := m["protocol"].(string); p != "HTTPS" && p != "TLS" {
			continue
		}
		name, _ := m["name"].(string)
		host, _ := m["hostname"].(string)
		port, _ := m["port"].(int64)
		out = append(out, gateway.TLSListener{Namespace: u.GetNamespace(), Gateway: u.GetName(), Listener: name, Hostname: host, Port: port,
			Addresses: ips, HostnameAddresses: names, Secret: certificateSecret(m, u.GetNamespace())})
	}
	return out
}

// certificateSecret is namespace/name of a listener's first certificate
// reference when it is a Secret (the default kind), else "".
func certificateSecret(listener map[string]any, namespace string) string {
	refs, _, _ := unstructured.NestedSlice(listener, "tls", "certificateRefs")
	if len(refs) == 0 {
		return ""
	}
	ref, _ := refs[0].(map[string]any)
	group, _ := ref["group"].(string)
	kind, _ := ref["kind"].(string)
	name, _ := ref["name"].(string)
	if group != "" || kind != "" && kind != "Secret" || name == "" {
		return ""
	}
	if ns, _ := ref["namespace"].(string); ns != "" {
		namespace = ns
	}
	return namespace + "/" + name
}
