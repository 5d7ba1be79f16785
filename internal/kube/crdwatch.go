//go:build !agentonly

package kube

import (
	"context"
	"errors"
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

	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
)

// crdWatch watches custom resources once their CRDs exist: it checks
// discovery every interval (absent CRDs are not an error, and not logged
// above debug) and starts the informers when every resource is served, so
// CRDs installed after start-up are picked up. The Gateway API and KEDA
// watchers are built on it.
type crdWatch struct {
	disc      discovery.DiscoveryInterface
	dyn       dynamic.Interface
	interval  time.Duration
	logger    *slog.Logger
	gv        schema.GroupVersion
	resources map[string]schema.GroupVersionResource
	// trim, per resource, keeps what analysis reads before caching.
	trim map[string]cache.TransformFunc
	// changed, if set, is called on every add, update and delete.
	changed func()
	// found is logged once the informers start.
	found string

	mu        sync.Mutex
	informers map[string]cache.SharedIndexInformer
	watches   []*watch
	started   atomic.Bool
}

// Run checks for the CRDs every interval until they are served, then runs
// the informers until ctx is done.
func (c *crdWatch) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	var factory dynamicinformer.DynamicSharedInformerFactory
	defer func() {
		// Run returns once its informers have stopped too.
		cancel()
		if factory != nil {
			factory.Shutdown()
		}
	}()
	poll.Every(ctx, c.interval, func(ctx context.Context) {
		if c.started.Load() {
			return
		}
		// Discovery takes no context: an API server that does not answer
		// holds it for its 15 s timeout. Shutdown does not wait for it.
		served := make(chan bool, 1)
		go func() { served <- c.served() }()
		select {
		case ok := <-served:
			if !ok {
				return
			}
		case <-ctx.Done():
			return
		}
		f := dynamicinformer.NewDynamicSharedInformerFactory(c.dyn, 0)
		infs := map[string]cache.SharedIndexInformer{}
		var watches []*watch
		for name, gvr := range c.resources {
			inf := f.ForResource(gvr).Informer()
			if t := c.trim[name]; t != nil {
				if err := inf.SetTransform(t); err != nil {
					c.logger.Error("informer", "resource", name, "err", err)
					return
				}
			}
			if c.changed != nil {
				changed := c.changed
				if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
					AddFunc: func(any) { changed() }, UpdateFunc: func(any, any) { changed() }, DeleteFunc: func(any) { changed() },
				}); err != nil {
					c.logger.Error("informer", "resource", name, "err", err)
					return
				}
			}
			w, err := newWatch("kubernetes", name, apitransport.Collection(gvr, "", ""), inf, c.logger)
			if err != nil {
				c.logger.Error("informer", "resource", name, "err", err)
				return
			}
			infs[name] = inf
			watches = append(watches, w)
		}
		c.mu.Lock()
		c.informers, c.watches = infs, watches
		c.mu.Unlock()
		f.Start(ctx.Done())
		factory = f
		c.started.Store(true)
		c.logger.Info(c.found, "group_version", c.gv.String())
	})
}

func (c *crdWatch) served() bool {
	list, err := c.disc.ServerResourcesForGroupVersion(c.gv.String())
	if err != nil {
		if !apierrors.IsNotFound(err) {
			c.logger.Debug("discovery failed", "group_version", c.gv.String(), "err", err)
		}
		return false
	}
	found := 0
	for _, r := range list.APIResources {
		if _, ok := c.resources[r.Name]; ok {
			found++
		}
	}
	return found == len(c.resources)
}

// Status reports the informers once the CRDs are found.
func (c *crdWatch) Status() []cluster.ResourceStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []cluster.ResourceStatus
	for _, w := range c.watches {
		out = append(out, w.status())
	}
	return out
}

// synced returns the informers: nil while the CRDs are absent, and
// ok false until every cache has synced.
func (c *crdWatch) synced() (infs map[string]cache.SharedIndexInformer, ok bool) {
	c.mu.Lock()
	infs = c.informers
	c.mu.Unlock()
	if infs == nil {
		return nil, false
	}
	for _, inf := range infs {
		if !inf.HasSynced() {
			return infs, false
		}
	}
	return infs, true
}

// errCRDAbsent: the CRDs are not served (yet).
var errCRDAbsent = errors.New("CRD not installed")

// objects lists a resource's cached objects: errCRDAbsent while the CRDs
// are absent, cluster.ErrNotSynced until every cache has synced.
func (c *crdWatch) objects(resource string) ([]*unstructured.Unstructured, error) {
	infs, ok := c.synced()
	switch {
	case infs == nil:
		return nil, errCRDAbsent
	case !ok:
		return nil, cluster.ErrNotSynced
	}
	list := infs[resource].GetStore().List()
	out := make([]*unstructured.Unstructured, 0, len(list))
	for _, obj := range list {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// trimUnstructured keeps an object's identity and the fields at paths
// (each a path of keys), dropping the rest before it is cached: custom
// resources can be large, and analysis reads a few fields.
func trimUnstructured(obj any, paths ...[]string) (*unstructured.Unstructured, bool) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, false
	}
	out := &unstructured.Unstructured{Object: map[string]any{}}
	out.SetAPIVersion(u.GetAPIVersion())
	out.SetKind(u.GetKind())
	out.SetNamespace(u.GetNamespace())
	out.SetName(u.GetName())
	out.SetUID(u.GetUID())
	out.SetResourceVersion(u.GetResourceVersion())
	for _, p := range paths {
		if v, found, _ := unstructured.NestedFieldNoCopy(u.Object, p...); found {
			_ = unstructured.SetNestedField(out.Object, v, p...)
		}
	}
	return out, true
}
