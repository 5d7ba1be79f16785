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
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
)

// ScaledObjectGVR is KEDA's ScaledObject.
var ScaledObjectGVR = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"}

// ScaledObjectWatcher watches KEDA ScaledObjects once their CRD is served
// (checked every interval, so KEDA installed after start-up is picked up):
// their minReplicaCount is the floor of their targets' replicas in every
// analysis, as an HPA's minReplicas is.
type ScaledObjectWatcher struct {
	disc     discovery.DiscoveryInterface
	dyn      dynamic.Interface
	interval time.Duration
	logger   *slog.Logger
	// changed is called on every change (the informers' generation).
	changed func()

	mu      sync.Mutex
	inf     cache.SharedIndexInformer
	watch   *watch
	started atomic.Bool
}

// WatchScaledObjects builds the watcher and makes i's snapshots hold the
// ScaledObjects it sees.
func (i *Informers) WatchScaledObjects(disc discovery.DiscoveryInterface, dyn dynamic.Interface, interval time.Duration) *ScaledObjectWatcher {
	w := &ScaledObjectWatcher{disc: disc, dyn: dyn, interval: interval, logger: i.logger, changed: func() { i.generation.Add(1) }}
	i.mu.Lock()
	i.scaledObjects = w
	i.mu.Unlock()
	return w
}

// trimScaledObject keeps identity, spec.scaleTargetRef's kind and name and
// spec.minReplicaCount: triggers can be large.
func trimScaledObject(obj any) (any, error) {
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
	for _, f := range []string{"kind", "name"} {
		if v, found, _ := unstructured.NestedString(u.Object, "spec", "scaleTargetRef", f); found {
			_ = unstructured.SetNestedField(out.Object, v, "spec", "scaleTargetRef", f)
		}
	}
	if v, found, _ := unstructured.NestedInt64(u.Object, "spec", "minReplicaCount"); found {
		_ = unstructured.SetNestedField(out.Object, v, "spec", "minReplicaCount")
	}
	return out, nil
}

// Run checks for the CRD every interval until it is served, then runs the
// informer until ctx is done.
func (w *ScaledObjectWatcher) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	poll.Every(ctx, w.interval, func(ctx context.Context) {
		if w.started.Load() || !w.served() {
			return
		}
		f := dynamicinformer.NewDynamicSharedInformerFactory(w.dyn, 0)
		inf := f.ForResource(ScaledObjectGVR).Informer()
		if err := inf.SetTransform(trimScaledObject); err != nil {
			w.logger.Error("KEDA ScaledObject informer", "err", err)
			return
		}
		changed := func() { w.changed() }
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { changed() }, UpdateFunc: func(any, any) { changed() }, DeleteFunc: func(any) { changed() },
		}); err != nil {
			w.logger.Error("KEDA ScaledObject informer", "err", err)
			return
		}
		wt, err := newWatch("kubernetes", "scaledobjects", collection(ScaledObjectGVR, "", ""), inf, w.logger)
		if err != nil {
			w.logger.Error("KEDA ScaledObject informer", "err", err)
			return
		}
		w.mu.Lock()
		w.inf, w.watch = inf, wt
		w.mu.Unlock()
		f.Start(ctx.Done())
		w.started.Store(true)
		w.logger.Info("KEDA found, watching its ScaledObjects")
	})
}

func (w *ScaledObjectWatcher) served() bool {
	list, err := w.disc.ServerResourcesForGroupVersion(ScaledObjectGVR.GroupVersion().String())
	if err != nil {
		if !apierrors.IsNotFound(err) {
			w.logger.Debug("KEDA discovery failed", "err", err)
		}
		return false
	}
	for _, r := range list.APIResources {
		if r.Name == ScaledObjectGVR.Resource {
			return true
		}
	}
	return false
}

// Status reports the informer once the CRD is found.
func (w *ScaledObjectWatcher) Status() []cluster.ResourceStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watch == nil {
		return nil
	}
	return []cluster.ResourceStatus{w.watch.status()}
}

// ScaledObjects lists them: none while the CRD is absent or the cache has
// not synced (the HPAs KEDA makes still set floors meanwhile).
func (w *ScaledObjectWatcher) ScaledObjects() []cluster.ScaledObject {
	w.mu.Lock()
	inf := w.inf
	w.mu.Unlock()
	if inf == nil || !inf.HasSynced() {
		return nil
	}
	var out []cluster.ScaledObject
	for _, obj := range inf.GetStore().List() {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		so := cluster.ScaledObject{Namespace: u.GetNamespace(), Name: u.GetName(), TargetKind: cluster.KindDeployment}
		if k, _, _ := unstructured.NestedString(u.Object, "spec", "scaleTargetRef", "kind"); k != "" {
			so.TargetKind = k
		}
		so.TargetName, _, _ = unstructured.NestedString(u.Object, "spec", "scaleTargetRef", "name")
		if m, found, _ := unstructured.NestedInt64(u.Object, "spec", "minReplicaCount"); found && m >= 0 && m <= 1<<31-1 {
			so.MinReplicaCount = int32(m)
		}
		out = append(out, so)
	}
	return out
}
