//go:build !agentonly

package kube

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Informers is the shared informer factory and the caches built on it.
// It watches only the resources it is asked for: those the enabled
// collectors read.
type Informers struct {
	factory informers.SharedInformerFactory
	logger  *slog.Logger

	stores     map[string]cache.Store
	watched    []*watch
	generation atomic.Uint64
	synced     atomic.Bool

	// last is the snapshot of lastGen: the analyses of one change share
	// it (and what they derive from it) instead of listing 150,000 pods
	// each.
	mu      sync.Mutex
	last    *cluster.Snapshot
	lastGen uint64
	// scaledObjects, when set, adds KEDA's ScaledObjects to snapshots.
	scaledObjects *ScaledObjectWatcher
}

// Resources lists every resource New can watch: those of cluster.Kinds
// watched from the start.
var Resources = cluster.Resources(func(k *cluster.Kind) bool { return k.Watched })

// New builds the informers of resources (see Resources) on client.
// Nothing is watched until Start.
func New(client kubernetes.Interface, resync time.Duration, logger *slog.Logger, resources []string) (*Informers, error) {
	f := informers.NewSharedInformerFactoryWithOptions(client, resync, informers.WithTransform(cluster.Transform))
	i := &Informers{factory: f, logger: logger, stores: map[string]cache.Store{}}
	for _, r := range resources {
		k, ok := cluster.KindOfResource(r)
		if !ok || !k.Watched {
			return nil, fmt.Errorf("watch %s: not a resource the exporter reads (known: %v)", r, Resources)
		}
		if _, dup := i.stores[r]; dup {
			continue
		}
		// Calling a constructor creates the informer: only for resources
		// asked for.
		inf, err := i.informer(k)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", r, err)
		}
		if err := i.watch(r, apitransport.Collection(k.Resource, "", ""), inf); err != nil {
			return nil, err
		}
		i.stores[r] = inf.GetStore()
	}
	return i, nil
}

// informer is the factory's informer of k. Pods go without the namespace
// index the factory adds by default: nothing looks pods up by namespace,
// and at 150,000 pods the index is a set entry and a key string per pod.
func (i *Informers) informer(k *cluster.Kind) (cache.SharedIndexInformer, error) {
	if k.Name == cluster.KindPod {
		return i.factory.InformerFor(&corev1.Pod{}, func(c kubernetes.Interface, resync time.Duration) cache.SharedIndexInformer {
			return coreinformers.NewFilteredPodInformer(c, metav1.NamespaceAll, resync, cache.Indexers{}, nil)
		}), nil
	}
	g, err := i.factory.ForResource(k.Resource)
	if err != nil {
		return nil, err
	}
	return g.Informer(), nil
}

func (i *Informers) watch(resource, collection string, inf cache.SharedIndexInformer) error {
	w, err := newWatch("kubernetes", resource, collection, inf, i.logger)
	if err != nil {
		return fmt.Errorf("watch %s: %w", resource, err)
	}
	bump := func() { i.generation.Add(1) }
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { bump() },
		UpdateFunc: func(any, any) { bump() },
		DeleteFunc: func(any) { bump() },
	}); err != nil {
		return fmt.Errorf("watch %s: %w", resource, err)
	}
	i.watched = append(i.watched, w)
	return nil
}

// Start starts every informer. They run until ctx is done or stop is
// called; stop also waits for their goroutines to end.
func (i *Informers) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	i.factory.Start(ctx.Done())
	// Shutdown waits for informers, which end only once their context is
	// cancelled: cancel first, always.
	return func() {
		cancel()
		i.factory.Shutdown()
	}
}

// WaitForSync blocks until the core caches (cluster.Kind.Core) have
// completed their first list or ctx is done, and reports whether they
// did. Each other resource (PDBs, quotas, Ingresses, Services…) holds back
// only the analyses that read it: one forbidden resource must not blind
// the rest.
func (i *Informers) WaitForSync(ctx context.Context) bool {
	var syncs []cache.InformerSynced
	for _, w := range i.watched {
		if k, _ := cluster.KindOfResource(w.resource); k.Core {
			syncs = append(syncs, w.informer.HasSynced)
		}
	}
	if !cache.WaitForCacheSync(ctx.Done(), syncs...) {
		return false
	}
	i.synced.Store(true)
	i.generation.Add(1)
	return true
}

// Ready returns nil once the core caches have synced.
func (i *Informers) Ready() error {
	if !i.synced.Load() {
		return cluster.ErrNotSynced
	}
	return nil
}

// Generation changes whenever any watched object changes.
func (i *Informers) Generation() uint64 { return i.generation.Load() }

// Snapshot lists the caches. It fails with cluster.ErrNotSynced until the
// core caches have synced (a partial cache yields wrong numbers); other
// resources not synced yet, or not watched at all, are named in
// Snapshot.Unsynced, for the analyses that read them to refuse
// (cluster.Snapshot.Require).
func (i *Informers) Snapshot() (*cluster.Snapshot, error) {
	if err := i.Ready(); err != nil {
		return nil, err
	}
	// The generation is read before the lists: a change racing with them
	// bumps it again, and the next caller lists anew.
	gen := i.generation.Load()
	// An informer that finishes its first list of an empty collection
	// sends no event: the generation stays, the sync state does not.
	unsynced := i.unsynced()
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.last != nil && i.lastGen == gen && slices.Equal(i.last.Unsynced, unsynced) {
		return i.last, nil
	}
	s, err := i.list(unsynced)
	if err != nil {
		return nil, err
	}
	s.Memoize()
	i.last, i.lastGen = s, gen
	return s, nil
}

// unsynced names the resources not watched or not synced yet.
func (i *Informers) unsynced() []string {
	var out []string
	for _, r := range Resources {
		if _, ok := i.stores[r]; !ok {
			out = append(out, r)
		}
	}
	for _, w := range i.watched {
		if !w.informer.HasSynced() {
			out = append(out, w.resource)
		}
	}
	return out
}

func (i *Informers) list(unsynced []string) (*cluster.Snapshot, error) {
	s := &cluster.Snapshot{Unsynced: unsynced}
	for _, k := range cluster.Kinds {
		if store := i.stores[k.Resource.Resource]; store != nil {
			if err := s.AddAll(k, store.List()); err != nil {
				return nil, fmt.Errorf("cache of %s: %w", k.Resource.Resource, err)
			}
		}
	}
	if i.scaledObjects != nil {
		s.ScaledObjects = i.scaledObjects.ScaledObjects()
	}
	return s, nil
}

// Status reports sync state and error counts per watched resource.
func (i *Informers) Status() []cluster.ResourceStatus {
	out := make([]cluster.ResourceStatus, 0, len(i.watched))
	for _, w := range i.watched {
		out = append(out, w.status())
	}
	return out
}
