//go:build !agentonly

package etcd

import (
	"context"
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
)

// Monitor polls the members in the background, every interval, so that a
// scrape (or two HA Prometheus servers scraping) never adds load on etcd:
// scrapes read the last result.
type Monitor struct {
	poller   *Poller
	interval time.Duration

	mu      sync.Mutex
	latest  []MemberStatus
	at      time.Time
	polled  bool
	errors  map[[2]string]uint64 // member, reason
	metrics map[string]uint64    // member: failed /metrics reads
	members []Member
}

// NewMonitor wraps a poller.
func NewMonitor(p *Poller, interval time.Duration) *Monitor {
	return &Monitor{poller: p, interval: interval, errors: map[[2]string]uint64{}, metrics: map[string]uint64{}, members: p.cfg.Members}
}

// Run polls at once and then every interval until ctx is done.
func (m *Monitor) Run(ctx context.Context) { poll.Every(ctx, m.interval, m.PollOnce) }

// PollOnce polls every member now and records the result.
func (m *Monitor) PollOnce(ctx context.Context) {
	m.record(m.poller.Poll(ctx))
}

func (m *Monitor) record(st []MemberStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.latest, m.at, m.polled = st, time.Now(), true
	for _, s := range st {
		if !s.Up {
			m.errors[[2]string{s.Name, s.Reason}]++
		}
		if s.MetricsFailed {
			m.metrics[s.Name]++
		}
	}
}

// Latest returns the last poll's statuses; ok is false before the first.
func (m *Monitor) Latest() (st []MemberStatus, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latest, m.polled
}

// Errors returns failed polls per member and reason since start, every
// combination present (zeros included) so rates work from the start.
func (m *Monitor) Errors() map[[2]string]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[[2]string]uint64{}
	for _, mem := range m.members {
		for _, r := range Reasons {
			out[[2]string{mem.Name, r}] = m.errors[[2]string{mem.Name, r}]
		}
	}
	return out
}

// MetricsErrors returns failed /metrics reads per member since start.
func (m *Monitor) MetricsErrors() map[string]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]uint64{}
	for _, mem := range m.members {
		out[mem.Name] = m.metrics[mem.Name]
	}
	return out
}
