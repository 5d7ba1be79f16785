//go:build !agentonly

package kube

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
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
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil
		}
		out := &unstructured.Unstructured{Object: map[string]any{}}
		out.SetAPIVersion(u.GetAPIVersion())
		out.SetKind(u.GetKind())
		out.SetNamespace(u.GetNamespace())
		out.SetName(u.GetName())
		out.SetUID(u.GetUID())
		out.SetResourceVersion(u.GetResourceVersion())
		if field != "" {
			if v, found, _ := unstructured.NestedString(u.Object, "spec", field); found {
				_ = unstructured.SetNestedField(out.Object, v, "spec", field)
			}
		}
		return out, nil
	}
}

// GatewayWatcher watches the Gateway API objects once their CRDs exist:
// it checks discovery every interval (absent CRDs are not an error, and
// not logged above debug), and starts informers when all three resources
// are served — CRDs installed after start-up are picked up.
type GatewayWatcher struct {
	disc     discovery.DiscoveryInterface
	dyn      dynamic.Interface
	interval time.Duration
	logger   *slog.Logger

	mu        sync.Mutex
	informers map[string]cache.SharedIndexInformer
	watches   []*watch
	started   atomic.Bool
}

// NewGatewayWatcher builds the watcher.
func NewGatewayWatcher(disc discovery.DiscoveryInterface, dyn dynamic.Interface, interval time.Duration, logger *slog.Logger) *GatewayWatcher {
	return &GatewayWatcher{disc: disc, dyn: dyn, interval: interval, logger: logger}
}

// Run checks for the CRDs every interval until they are served, then
// runs the informers until ctx is done.
func (g *GatewayWatcher) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	poll.Every(ctx, g.interval, func(ctx context.Context) {
		if g.started.Load() || !g.served() {
			return
		}
		f := dynamicinformer.NewDynamicSharedInformerFactory(g.dyn, 0)
		infs := map[string]cache.SharedIndexInformer{}
		var watches []*watch
		for name, gvr := range gatewayResources {
			infs[name] = f.ForResource(gvr).Informer()
			if err := infs[name].SetTransform(trimGatewayObject(gatewayKept[name])); err != nil {
				g.logger.Error("gateway API informer", "err", err)
				return
			}
			w, err := newWatch("kubernetes", name, collection(gvr, "", ""), infs[name], g.logger)
			if err != nil {
				g.logger.Error("gateway API informer", "err", err)
				return
			}
			watches = append(watches, w)
		}
		g.mu.Lock()
		g.informers, g.watches = infs, watches
		g.mu.Unlock()
		f.Start(ctx.Done())
		g.started.Store(true)
		g.logger.Info("gateway API found, watching it", "kind", "gatewayclasses,gateways,httproutes")
	})
}

func (g *GatewayWatcher) served() bool {
	list, err := g.disc.ServerResourcesForGroupVersion(GatewayGroupVersion)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			g.logger.Debug("gateway API discovery failed", "err", err)
		}
		return false
	}
	found := 0
	for _, r := range list.APIResources {
		if _, ok := gatewayResources[r.Name]; ok {
			found++
		}
	}
	return found == len(gatewayResources)
}

// Status reports the Gateway API informers once the CRDs are found.
func (g *GatewayWatcher) Status() []cluster.ResourceStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []cluster.ResourceStatus
	for _, w := range g.watches {
		out = append(out, w.status())
	}
	return out
}

// Objects returns the Gateway API objects: gateway.ErrAbsent while the
// CRDs are absent, cluster.ErrNotSynced until the caches have synced.
func (g *GatewayWatcher) Objects() (gateway.Objects, error) {
	g.mu.Lock()
	infs := g.informers
	g.mu.Unlock()
	if infs == nil {
		return gateway.Objects{}, gateway.ErrAbsent
	}
	for _, inf := range infs {
		if !inf.HasSynced() {
			return gateway.Objects{}, cluster.ErrNotSynced
		}
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
