//go:build !agentonly

package collector

import (
	"context"
	"errors"

	"github.com/kube-reliability/kube-reliability-exporter/internal/helmhistory"
)

// HelmSource hands out Helm release object metadata (kube.HelmInformers).
type HelmSource interface {
	Storages() []helmhistory.Storage
}

var helmSpec = Spec{
	Name: "helm", Modes: Central | Demo, DefaultEnabled: true, Uses: []Source{HelmStorages},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_helm_release_revisions", Type: Gauge, Stability: Experimental,
			Help:   "Revisions of the Helm release kept in cluster storage (each holds the whole rendered release); absent while the storage is unavailable. Sizes are not known: only metadata is read.",
			Labels: []string{"namespace", "release", "storage"}, Bound: "one series per Helm release"},
		{Name: "kube_reliability_helm_storage_available", Type: Gauge, Stability: Experimental,
			Help:   "1 if the exporter can list the Helm storage (secret, configmap, tiller) and its cache has synced, else 0 (for Secrets the optional RBAC role is not granted).",
			Labels: []string{"storage"}, Bound: "three series"},
		{Name: "kube_reliability_helm_invalid_release_objects", Type: Gauge, Stability: Experimental,
			Help:   "Objects labelled as Helm release storage but without a release name label; they are not counted as revisions.",
			Labels: []string{"storage"}, Bound: "three series"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Helm == nil {
			return nil, errors.New("no Helm release source")
		}
		return helmCollector{d.Helm}, nil
	},
}

type helmCollector struct{ src HelmSource }

func (c helmCollector) Update(ctx context.Context, e *Emitter) error {
	res := helmhistory.Analyze(c.src.Storages())
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, s := range []string{helmhistory.StorageSecret, helmhistory.StorageConfigMap, helmhistory.StorageTiller} {
		e.Bool("kube_reliability_helm_storage_available", res.Available[s], s)
		if res.Available[s] {
			e.Gauge("kube_reliability_helm_invalid_release_objects", float64(res.Invalid[s]), s)
		}
	}
	for _, r := range res.Releases {
		e.Gauge("kube_reliability_helm_release_revisions", float64(r.Revisions), r.Namespace, r.Name, r.Storage)
	}
	return nil
}
