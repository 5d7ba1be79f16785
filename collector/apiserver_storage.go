//go:build !agentonly

package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
)

// StorageSource hands out the etcd database sizes the API server reports.
type StorageSource interface {
	// Latest returns the sizes, or why they are unknown (ErrNoData when
	// by design: not read yet, /metrics forbidden by choice).
	Latest() ([]etcd.StorageSize, error)
}

var apiserverStorageSpec = Spec{
	Name: "apiserver_storage", Modes: Central, DefaultEnabled: true, Uses: []Source{APIServerStorage},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_etcd_storage_size_bytes", Type: Gauge, Stability: Experimental,
			Help:   "Size in bytes of the etcd database as the API server reports it (apiserver_storage_size_bytes, or its older names): the view of managed clusters whose etcd is out of reach.",
			Labels: []string{"storage_cluster_id"}, Bound: "one series per storage backend of the API server (usually one)"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Storage == nil {
			return noSource{}, nil
		}
		return storageCollector{d.Storage}, nil
	},
}

type storageCollector struct{ src StorageSource }

func (c storageCollector) Update(_ context.Context, e *Emitter) error {
	sizes, err := c.src.Latest()
	if err != nil {
		return err
	}
	for _, s := range sizes {
		e.Gauge("kube_reliability_etcd_storage_size_bytes", s.Bytes, s.Cluster)
	}
	return nil
}
