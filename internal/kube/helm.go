//go:build !agentonly

package kube

import (
	"context"
	"log/slog"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/helmhistory"
)

type helmStorage struct {
	name  string
	watch *watch
}

// HelmInformers watches Helm's release objects as metadata only
// (PartialObjectMetadata): the API server strips a Secret's data before
// it is sent, so the exporter never receives release contents. They are
// separate from Informers because their RBAC is optional: without it they
// never sync, and the helm collector reports those storages unavailable
// while everything else stays ready.
type HelmInformers struct {
	storages []*helmStorage
}

// NewHelm builds the metadata informers for the three Helm storages.
func NewHelm(client metadata.Interface, resync time.Duration, logger *slog.Logger) (*HelmInformers, error) {
	h := &HelmInformers{}
	for _, s := range []struct {
		name, resource, selector, storageLabel string
	}{
		{helmhistory.StorageSecret, "secrets", "owner=helm", "helm"},
		{helmhistory.StorageConfigMap, "configmaps", "owner=helm", "helm"},
		{helmhistory.StorageTiller, "configmaps", "OWNER=TILLER", "tiller"},
	} {
		selector := s.selector
		gvr := schema.GroupVersionResource{Version: "v1", Resource: s.resource}
		inf := metadatainformer.NewFilteredMetadataInformer(client, gvr,
			metav1.NamespaceAll, resync, cache.Indexers{}, func(o *metav1.ListOptions) { o.LabelSelector = selector }).Informer()
		// Keep identity and labels; drop annotations and managed fields.
		if err := inf.SetTransform(func(obj any) (any, error) {
			if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
				m.ManagedFields, m.Annotations = nil, nil
			}
			return obj, nil
		}); err != nil {
			return nil, err
		}
		// A missing optional role is expected: its metrics say so, not a
		// warning loop in the log.
		w, err := newWatch("kubernetes", s.resource+":"+s.storageLabel, apitransport.Collection(gvr, selector, ""), inf, logger)
		if err != nil {
			return nil, err
		}
		h.storages = append(h.storages, &helmStorage{name: s.name, watch: w})
	}
	return h, nil
}

// Start runs the informers until ctx is done or stop is called; stop
// waits for them to end.
func (h *HelmInformers) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range h.storages {
		wg.Go(func() { s.watch.informer.RunWithContext(ctx) })
	}
	return func() { cancel(); wg.Wait() }
}

// Storages returns each storage's release object metadata; a storage not
// yet synced (or forbidden) is reported unavailable, without objects.
func (h *HelmInformers) Storages() []helmhistory.Storage {
	out := make([]helmhistory.Storage, 0, len(h.storages))
	for _, s := range h.storages {
		st := helmhistory.Storage{Name: s.name, Available: s.watch.informer.HasSynced()}
		if st.Available {
			for _, o := range s.watch.informer.GetStore().List() {
				if m, ok := o.(*metav1.PartialObjectMetadata); ok {
					st.Objects = append(st.Objects, &m.ObjectMeta)
				}
			}
		}
		out = append(out, st)
	}
	return out
}

// WaitForSync blocks until every storage has synced or ctx is done (demo
// only: in central a forbidden storage never syncs, by design).
func (h *HelmInformers) WaitForSync(ctx context.Context) bool {
	syncs := make([]cache.InformerSynced, len(h.storages))
	for i, s := range h.storages {
		syncs[i] = s.watch.informer.HasSynced
	}
	return cache.WaitForCacheSync(ctx.Done(), syncs...)
}

// Status reports each storage's informer.
func (h *HelmInformers) Status() []cluster.ResourceStatus {
	out := make([]cluster.ResourceStatus, 0, len(h.storages))
	for _, s := range h.storages {
		out = append(out, s.watch.status())
	}
	return out
}
