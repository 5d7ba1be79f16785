package kube

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	policylisters "k8s.io/client-go/listers/policy/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Informers is the shared informer factory and the caches built on it.
type Informers struct {
	factory informers.SharedInformerFactory
	logger  *slog.Logger

	nodes        corelisters.NodeLister
	pods         cache.Store
	deployments  appslisters.DeploymentLister
	statefulSets appslisters.StatefulSetLister
	replicaSets  appslisters.ReplicaSetLister
	daemonSets   appslisters.DaemonSetLister
	pdbs         policylisters.PodDisruptionBudgetLister
	namespaces   corelisters.NamespaceLister
	quotas       corelisters.ResourceQuotaLister
	limitRanges  corelisters.LimitRangeLister
	ingClasses   networkinglisters.IngressClassLister
	ingresses    networkinglisters.IngressLister
	services     corelisters.ServiceLister

	watched    []*watch
	generation atomic.Uint64
	synced     atomic.Bool
}

// New builds the informers on client. Nothing is watched until Start.
func New(client kubernetes.Interface, resync time.Duration, logger *slog.Logger) (*Informers, error) {
	f := informers.NewSharedInformerFactoryWithOptions(client, resync, informers.WithTransform(Transform))
	i := &Informers{factory: f, logger: logger}

	// Pods without the namespace index the factory adds by default:
	// nothing looks pods up by namespace, and at 150,000 pods the index
	// is a set entry and a key string per pod.
	f.InformerFor(&corev1.Pod{}, func(c kubernetes.Interface, resync time.Duration) cache.SharedIndexInformer {
		return coreinformers.NewFilteredPodInformer(c, metav1.NamespaceAll, resync, cache.Indexers{}, nil)
	})
	core, apps, policy := f.Core().V1(), f.Apps().V1(), f.Policy().V1()
	i.nodes = core.Nodes().Lister()
	// The pod cache holds cluster.Pod (Transform), not corev1.Pod.
	i.pods = core.Pods().Informer().GetStore()
	i.deployments = apps.Deployments().Lister()
	i.statefulSets = apps.StatefulSets().Lister()
	i.replicaSets = apps.ReplicaSets().Lister()
	i.daemonSets = apps.DaemonSets().Lister()
	i.pdbs = policy.PodDisruptionBudgets().Lister()
	i.namespaces = core.Namespaces().Lister()
	i.quotas = core.ResourceQuotas().Lister()
	i.limitRanges = core.LimitRanges().Lister()
	networking := f.Networking().V1()
	i.ingClasses = networking.IngressClasses().Lister()
	i.ingresses = networking.Ingresses().Lister()
	i.services = core.Services().Lister()
	for _, w := range []struct {
		resource string
		inf      cache.SharedIndexInformer
	}{
		{"nodes", core.Nodes().Informer()},
		{"pods", core.Pods().Informer()},
		{"deployments", apps.Deployments().Informer()},
		{"statefulsets", apps.StatefulSets().Informer()},
		{"replicasets", apps.ReplicaSets().Informer()},
		{"daemonsets", apps.DaemonSets().Informer()},
		{"poddisruptionbudgets", policy.PodDisruptionBudgets().Informer()},
		{"namespaces", core.Namespaces().Informer()},
		{"resourcequotas", core.ResourceQuotas().Informer()},
		{"limitranges", core.LimitRanges().Informer()},
		{"ingressclasses", networking.IngressClasses().Informer()},
		{"ingresses", networking.Ingresses().Informer()},
		{"services", core.Services().Informer()},
	} {
		if err := i.watch(w.resource, w.inf); err != nil {
			return nil, err
		}
	}
	return i, nil
}

func (i *Informers) watch(resource string, inf cache.SharedIndexInformer) error {
	w, err := newWatch("kubernetes", resource, inf, i.logger, false)
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
// resources not synced yet are named in Snapshot.Unsynced, for the
// analyses that read them to refuse (cluster.Snapshot.Require).
func (i *Informers) Snapshot() (*cluster.Snapshot, error) {
	if err := i.Ready(); err != nil {
		return nil, err
	}
	all := labels.Everything()
	s := &cluster.Snapshot{}
	for _, w := range i.watched {
		if !w.informer.HasSynced() {
			s.Unsynced = append(s.Unsynced, w.resource)
		}
	}
	var err error
	if s.Nodes, err = i.nodes.List(all); err != nil {
		return nil, fmt.Errorf("list nodes from cache: %w", err)
	}
	objs := i.pods.List()
	s.Pods = make([]*cluster.Pod, 0, len(objs))
	for _, o := range objs {
		p, ok := o.(*cluster.Pod)
		if !ok {
			return nil, fmt.Errorf("pod cache holds a %T", o)
		}
		s.Pods = append(s.Pods, p)
	}
	if s.Deployments, err = i.deployments.List(all); err != nil {
		return nil, fmt.Errorf("list deployments from cache: %w", err)
	}
	if s.StatefulSets, err = i.statefulSets.List(all); err != nil {
		return nil, fmt.Errorf("list statefulsets from cache: %w", err)
	}
	if s.ReplicaSets, err = i.replicaSets.List(all); err != nil {
		return nil, fmt.Errorf("list replicasets from cache: %w", err)
	}
	if s.DaemonSets, err = i.daemonSets.List(all); err != nil {
		return nil, fmt.Errorf("list daemonsets from cache: %w", err)
	}
	if s.PodDisruptionBudgets, err = i.pdbs.List(all); err != nil {
		return nil, fmt.Errorf("list poddisruptionbudgets from cache: %w", err)
	}
	if s.Namespaces, err = i.namespaces.List(all); err != nil {
		return nil, fmt.Errorf("list namespaces from cache: %w", err)
	}
	if s.ResourceQuotas, err = i.quotas.List(all); err != nil {
		return nil, fmt.Errorf("list resourcequotas from cache: %w", err)
	}
	if s.LimitRanges, err = i.limitRanges.List(all); err != nil {
		return nil, fmt.Errorf("list limitranges from cache: %w", err)
	}
	if s.IngressClasses, err = i.ingClasses.List(all); err != nil {
		return nil, fmt.Errorf("list ingressclasses from cache: %w", err)
	}
	if s.Services, err = i.services.List(all); err != nil {
		return nil, fmt.Errorf("list services from cache: %w", err)
	}
	if s.Ingresses, err = i.ingresses.List(all); err != nil {
		return nil, fmt.Errorf("list ingresses from cache: %w", err)
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
