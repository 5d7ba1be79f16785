package collector_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestAPIServerStorageLive: the managed-cluster path. As the shipped role
// (get on /metrics), the exporter reports the etcd database size the real
// API server's own /metrics shows.
func TestAPIServerStorageLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()
	admin := func() (map[string]float64, error) {
		b, err := env.Client.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
		if err != nil {
			return nil, err
		}
		sizes, err := etcd.ParseStorageSizes(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		out := map[string]float64{}
		for _, s := range sizes {
			out[s.Cluster] = s.Bytes
		}
		return out, nil
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := etcd.NewStorageMonitor(kube.APIServerMetrics(client), 5*time.Second, logger)
	set, err := collector.NewSet([]*collector.Spec{mustSpec(t, "apiserver_storage")}, collector.Deps{Logger: logger, Storage: m}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(set)

	// The API server samples etcd's size every second here; read its
	// /metrics as admin around the exporter's read and require the
	// exporter's value to be one of them.
	testenv.Eventually(t, 30*time.Second, func() error {
		before, err := admin()
		if err != nil || len(before) == 0 {
			return fmt.Errorf("API server has no storage size yet: %v", err)
		}
		m.PollOnce(ctx)
		after, err := admin()
		if err != nil {
			return err
		}
		got := samples(t, reg)
		if len(before) != 1 {
			return fmt.Errorf("want one storage backend, API server reports %v", before)
		}
		for id, b := range before {
			v, ok := got[fmt.Sprintf(`kube_reliability_etcd_storage_size_bytes{storage_cluster_id=%q}`, id)]
			if !ok || (v != b && v != after[id]) || v <= 0 {
				return fmt.Errorf("exported %v (present %t), API server says %v then %v", v, ok, b, after[id])
			}
		}
		return nil
	})

	// Without get on /metrics the size is unknown: nothing exported.
	noRole := etcd.NewStorageMonitor(kube.APIServerMetrics(kubernetes.NewForConfigOrDie(env.ServiceAccountConfig("default", "nobody"))), 5*time.Second, logger)
	noRole.PollOnce(ctx)
	if sizes, err := noRole.Latest(); !errors.Is(err, collector.ErrNoData) || len(sizes) > 0 {
		t.Errorf("forbidden /metrics gave sizes %v, err %v; want no data by design", sizes, err)
	}
}
