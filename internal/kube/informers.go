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

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// Resources lists every resource New can watch.
var Resources = []string{"nodes", "pods", "deployments", "statefulsets", "replicasets", "daemonsets",
	"poddisruptionbudgets", "namespaces", "resourcequotas", "limitranges", "ingressclasses", "ingresses", "services",
	"horizontalpodautoscalers", "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
	"persistentvolumeclaims", "persistentvolumes"}

// resourceGVRs are the API paths of Resources.
var resourceGVRs = map[string]schema.GroupVersionResource{
	"nodes":                           {Version: "v1", Resource: "nodes"},
	"pods":                            {Version: "v1", Resource: "pods"},
	"deployments":                     {Group: "apps", Version: "v1", Resource: "deployments"},
	"statefulsets":                    {Group: "apps", Version: "v1", Resource: "statefulsets"},
	"replicasets":                     {Group: "apps", Version: "v1", Resource: "replicasets"},
	"daemonsets":                      {Group: "apps", Version: "v1", Resource: "daemonsets"},
	"poddisruptionbudgets":            {Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
	"namespaces":                      {Version: "v1", Resource: "namespaces"},
	"resourcequotas":                  {Version: "v1", Resource: "resourcequotas"},
	"limitranges":                     {Version: "v1", Resource: "limitranges"},
	"ingressclasses":                  {Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses"},
	"ingresses":                       {Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
	"services":                        {Version: "v1", Resource: "services"},
	"horizontalpodautoscalers":        {Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
	"validatingwebhookconfigurations": {Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"},
	"mutatingwebhookconfigurations":   {Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"},
	"persistentvolumeclaims":          {Version: "v1", Resource: "persistentvolumeclaims"},
	"persistentvolumes":               {Version: "v1", Resource: "persistentvolumes"},
}

// New builds the informers of resources (see Resources) on client.
// Nothing is watched until Start.
func New(client kubernetes.Interface, resync time.Duration, logger *slog.Logger, resources []string) (*Informers, error) {
	f := informers.NewSharedInformerFactoryWithOptions(client, resync, informers.WithTransform(Transform))
	i := &Informers{factory: f, logger: logger, stores: map[string]cache.Store{}}
	core, apps, policy, networking := f.Core().V1(), f.Apps().V1(), f.Policy().V1(), f.Networking().V1()
	// Each is called only for a resource asked for: calling one creates
	// its informer.
	constructors := map[string]func() cache.SharedIndexInformer{
		"nodes": func() cache.SharedIndexInformer { return core.Nodes().Informer() },
		// Pods without the namespace index the factory adds by default:
		// nothing looks pods up by namespace, and at 150,000 pods the
		// index is a set entry and a key string per pod. The pod cache
		// holds cluster.Pod (Transform), not corev1.Pod.
		"pods": func() cache.SharedIndexInformer {
			return f.InformerFor(&corev1.Pod{}, func(c kubernetes.Interface, resync time.Duration) cache.SharedIndexInformer {
				return coreinformers.NewFilteredPodInformer(c, metav1.NamespaceAll, resync, cache.Indexers{}, nil)
			})
		},
		"deployments":          func() cache.SharedIndexInformer { return apps.Deployments().Informer() },
		"statefulsets":         func() cache.SharedIndexInformer { return apps.StatefulSets().Informer() },
		"replicasets":          func() cache.SharedIndexInformer { return apps.ReplicaSets().Informer() },
		"daemonsets":           func() cache.SharedIndexInformer { return apps.DaemonSets().Informer() },
		"poddisruptionbudgets": func() cache.SharedIndexInformer { return policy.PodDisruptionBudgets().Informer() },
		"namespaces":           func() cache.SharedIndexInformer { return core.Namespaces().Informer() },
		"resourcequotas":       func() cache.SharedIndexInformer { return core.ResourceQuotas().Informer() },
		"limitranges":          func() cache.SharedIndexInformer { return core.LimitRanges().Informer() },
		"ingressclasses":       func() cache.SharedIndexInformer { return networking.IngressClasses().Informer() },
		"ingresses":            func() cache.SharedIndexInformer { return networking.Ingresses().Informer() },
		"services":             func() cache.SharedIndexInformer { return core.Services().Informer() },
		"horizontalpodautoscalers": func() cache.SharedIndexInformer {
			return f.Autoscaling().V2().HorizontalPodAutoscalers().Informer()
		},
		"validatingwebhookconfigurations": func() cache.SharedIndexInformer {
			return f.Admissionregistration().V1().ValidatingWebhookConfigurations().Informer()
		},
		"mutatingwebhookconfigurations": func() cache.SharedIndexInformer {
			return f.Admissionregistration().V1().MutatingWebhookConfigurations().Informer()
		},
		"persistentvolumeclaims": func() cache.SharedIndexInformer { return core.PersistentVolumeClaims().Informer() },
		"persistentvolumes":      func() cache.SharedIndexInformer { return core.PersistentVolumes().Informer() },
	}
	for _, r := range resources {
		newInformer, ok := constructors[r]
		if !ok {
			return nil, fmt.Errorf("watch %s: not a resource the exporter reads (known: %v)", r, Resources)
		}
		if _, dup := i.stores[r]; dup {
			continue
		}
		inf := newInformer()
		if err := i.watch(r, apitransport.Collection(resourceGVRs[r], "", ""), inf); err != nil {
			return nil, err
		}
		i.stores[r] = inf.GetStore()
	}
	return i, nil
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

// coreResources are what every workload analysis reads. Each other
// resource (PDBs, quotas, Ingresses, Services…) holds back only the
// analyses that read it: one forbidden resource must not blind the rest.
var coreResources = []string{"nodes", "pods", "deployments", "statefulsets", "replicasets", "daemonsets"}

// WaitForSync blocks until the core caches have completed their first
// list or ctx is done, and reports whether they did.
func (i *Informers) WaitForSync(ctx context.Context) bool {
	var syncs []cache.InformerSynced
	for _, w := range i.watched {
		if slices.Contains(coreResources, w.resource) {
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
	var err error
	s.Nodes, err = list[*corev1.Node](i.stores["nodes"], err)
	s.Pods, err = list[*cluster.Pod](i.stores["pods"], err)
	s.Deployments, err = list[*appsv1.Deployment](i.stores["deployments"], err)
	s.StatefulSets, err = list[*appsv1.StatefulSet](i.stores["statefulsets"], err)
	s.ReplicaSets, err = list[*appsv1.ReplicaSet](i.stores["replicasets"], err)
	s.DaemonSets, err = list[*appsv1.DaemonSet](i.stores["daemonsets"], err)
	s.PodDisruptionBudgets, err = list[*policyv1.PodDisruptionBudget](i.stores["poddisruptionbudgets"], err)
	s.Namespaces, err = list[*corev1.Namespace](i.stores["namespaces"], err)
	s.ResourceQuotas, err = list[*corev1.ResourceQuota](i.stores["resourcequotas"], err)
	s.LimitRanges, err = list[*corev1.LimitRange](i.stores["limitranges"], err)
	s.IngressClasses, err = list[*networkingv1.IngressClass](i.stores["ingressclasses"], err)
	s.Ingresses, err = list[*networkingv1.Ingress](i.stores["ingresses"], err)
	s.Services, err = list[*corev1.Service](i.stores["services"], err)
	s.HorizontalPodAutoscalers, err = list[*autoscalingv2.HorizontalPodAutoscaler](i.stores["horizontalpodautoscalers"], err)
	s.ValidatingWebhookConfigurations, err = list[*admissionregistrationv1.ValidatingWebhookConfiguration](i.stores["validatingwebhookconfigurations"], err)
	s.MutatingWebhookConfigurations, err = list[*admissionregistrationv1.MutatingWebhookConfiguration](i.stores["mutatingwebhookconfigurations"], err)
	s.PersistentVolumeClaims, err = list[*corev1.PersistentVolumeClaim](i.stores["persistentvolumeclaims"], err)
	s.PersistentVolumes, err = list[*corev1.PersistentVolume](i.stores["persistentvolumes"], err)
	if err != nil {
		return nil, err
	}
	if i.scaledObjects != nil {
		s.ScaledObjects = i.scaledObjects.ScaledObjects()
	}
	return s, nil
}

// list returns the objects of store (nil: not watched) as T, unless an
// earlier list failed.
func list[T any](store cache.Store, err error) ([]T, error) {
	if err != nil || store == nil {
		return nil, err
	}
	objs := store.List()
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		t, ok := o.(T)
		if !ok {
			var want T
			return nil, fmt.Errorf("cache of %T holds a %T", want, o)
		}
		out = append(out, t)
	}
	return out, nil
}

// Status reports sync state and error counts per watched resource.
func (i *Informers) Status() []cluster.ResourceStatus {
	out := make([]cluster.ResourceStatus, 0, len(i.watched))
	for _, w := range i.watched {
		out = append(out, w.status())
	}
	return out
}
