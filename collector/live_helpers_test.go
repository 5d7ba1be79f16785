package collector_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
)

// liveRegistry starts the shared informers on client (stopped when the
// test ends), waits for them to sync, and registers the named collectors
// on them in a pedantic registry. deps may add to what the informers fill.
func liveRegistry(t *testing.T, client kubernetes.Interface, deps collector.Deps, names ...string) *prometheus.Registry {
	t.Helper()
	deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	inf := liveInformers(t, client, deps.Logger)
	deps.Cluster, deps.Status = inf, inf
	return registry(t, deps, names...)
}

// liveInformers starts the shared informers on client, stopped when the
// test ends, and waits for them to sync.
func liveInformers(t *testing.T, client kubernetes.Interface, logger *slog.Logger) *kube.Informers {
	t.Helper()
	inf, err := kube.New(client, 0, logger, kube.Resources)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inf.Start(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !inf.WaitForSync(ctx) {
		t.Fatalf("informers did not sync (RBAC?): %+v", inf.Status())
	}
	return inf
}

// registry registers the named collectors on deps in a pedantic registry.
func registry(t *testing.T, deps collector.Deps, names ...string) *prometheus.Registry {
	t.Helper()
	var specs []*collector.Spec
	for _, n := range names {
		specs = append(specs, mustSpec(t, n))
	}
	set, err := collector.NewSet(specs, deps, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(set)
	return reg
}
