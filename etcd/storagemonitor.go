package etcd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
	"github.com/kube-reliability/kube-reliability-exporter/internal/sourcestatus"
)

// maxAPIServerMetricsBytes bounds the read of the API server's /metrics:
// it is large (tens of MB on big clusters) but not unbounded.
const maxAPIServerMetricsBytes = 64 << 20

// MetricsGetter GETs the API server's /metrics (internal/kube's
// APIServerMetrics). A refusal the exporter's role may mean (the rule is
// optional) is an error wrapping sourcestatus.ErrNoData.
type MetricsGetter func(context.Context) (io.ReadCloser, error)

// StorageMonitor reads the etcd database size the API server itself reports
// on /metrics, every interval, in the background: the managed-cluster view
// (AKS, EKS, GKE), where etcd is out of reach. It needs only get on the
// /metrics non-resource URL.
type StorageMonitor struct {
	get      MetricsGetter
	interval time.Duration
	logger   *slog.Logger

	mu     sync.Mutex
	latest []StorageSize
	facts  APIServerFacts
	err    error // why latest is unknown; nil when it is known
}

// NewStorageMonitor builds the monitor.
func NewStorageMonitor(get MetricsGetter, interval time.Duration, logger *slog.Logger) *StorageMonitor {
	return &StorageMonitor{get: get, interval: interval, logger: logger,
		err: fmt.Errorf("%w: the API server's /metrics not read yet", sourcestatus.ErrNoData)}
}

// Run reads at once and then every interval until ctx is done.
func (m *StorageMonitor) Run(ctx context.Context) { poll.Every(ctx, m.interval, m.PollOnce) }

// PollOnce reads the API server's /metrics now. A failure leaves the
// sizes unknown (not zero) until the next success.
func (m *StorageMonitor) PollOnce(ctx context.Context) {
	sizes, facts, err := m.read(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case errors.Is(err, sourcestatus.ErrNoData):
		// The rule for /metrics is optional (where etcd is polled
		// directly, it is not needed): no data by design, not a failure.
		m.logger.Debug("API server storage size read forbidden", "err", err)
		m.latest, m.facts, m.err = nil, APIServerFacts{}, err
	case err != nil:
		m.logger.Debug("API server storage size read failed", "err", err)
		m.latest, m.facts, m.err = nil, APIServerFacts{}, err
	default:
		m.latest, m.facts, m.err = sizes, facts, nil
	}
}

func (m *StorageMonitor) read(ctx context.Context) ([]StorageSize, APIServerFacts, error) {
	ctx, cancel := context.WithTimeout(ctx, m.interval)
	defer cancel()
	body, err := m.get(ctx)
	if err != nil {
		return nil, APIServerFacts{}, fmt.Errorf("GET /metrics: %w", err)
	}
	defer body.Close()
	return ParseAPIServerMetrics(io.LimitReader(body, maxAPIServerMetricsBytes))
}

// Facts returns the last read's deprecated APIs, or why they are
// unknown (as Latest).
func (m *StorageMonitor) Facts() (APIServerFacts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.facts, m.err
}

// Latest returns the last read's sizes, or why they are unknown:
// sourcestatus.ErrNoData before the first read and while /metrics is
// forbidden, the read's error after any other failure.
func (m *StorageMonitor) Latest() ([]StorageSize, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latest, m.err
}
