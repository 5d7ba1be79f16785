//go:build !agentonly

package kube

import (
	"context"
	"fmt"
	"io"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
)

// maxAPIServerMetricsBytes bounds the read of the API server's /metrics:
// it is large (tens of MB on big clusters) but not unbounded.
const maxAPIServerMetricsBytes = 64 << 20

// StorageMonitor reads the etcd database size the API server itself reports
// on /metrics, every interval, in the background: the managed-cluster view
// (AKS, EKS, GKE), where etcd is out of reach. It needs only get on the
// /metrics non-resource URL.
type StorageMonitor struct {
	client   kubernetes.Interface
	interval time.Duration
	logger   *slog.Logger

	mu     sync.Mutex
	latest []etcd.StorageSize
	err    error // why latest is unknown; nil when it is known
}

// NewStorageMonitor builds the monitor.
func NewStorageMonitor(client kubernetes.Interface, interval time.Duration, logger *slog.Logger) *StorageMonitor {
	return &StorageMonitor{client: client, interval: interval, logger: logger,
		err: fmt.Errorf("%w: the API server's /metrics not read yet", cluster.ErrNoData)}
}

// Run reads at once and then every interval until ctx is done.
func (m *StorageMonitor) Run(ctx context.Context) { poll.Every(ctx, m.interval, m.PollOnce) }

// PollOnce reads the API server's /metrics now. A failure leaves the
// sizes unknown (not zero) until the next success.
func (m *StorageMonitor) PollOnce(ctx context.Context) {
	sizes, err := m.read(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		// The rule for /metrics is optional (where etcd is polled
		// directly, it is not needed): no data by design, not a failure.
		m.logger.Debug("API server storage size read forbidden", "err", err)
		m.latest, m.err = nil, fmt.Errorf("%w: the API server's /metrics is forbidden: %v", cluster.ErrNoData, err)
	case err != nil:
		m.logger.Debug("API server storage size read failed", "err", err)
		m.latest, m.err = nil, err
	default:
		m.latest, m.err = sizes, nil
	}
}

func (m *StorageMonitor) read(ctx context.Context) ([]etcd.StorageSize, error) {
	ctx, cancel := context.WithTimeout(ctx, m.interval)
	defer cancel()
	body, err := m.client.Discovery().RESTClient().Get().AbsPath("/metrics").Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer body.Close()
	return etcd.ParseStorageSizes(io.LimitReader(body, maxAPIServerMetricsBytes))
}

// Latest returns the last read's sizes, or why they are unknown:
// cluster.ErrNoData before the first read and while /metrics is
// forbidden, the read's error after any other failure.
func (m *StorageMonitor) Latest() ([]etcd.StorageSize, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latest, m.err
}
