package tlsprobe

import (
	"context"
	"crypto/x509"
	"log/slog"
	"maps"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
)

// Config bounds the prober.
type Config struct {
	Interval    time.Duration // how often every endpoint is probed
	Timeout     time.Duration // one handshake, connect included
	MaxBytes    int64         // what one server may send
	Concurrency int           // handshakes in flight
	PerSecond   float64       // handshakes started per second
	Roots       *x509.CertPool
}

// RoundBound is the longest a round over n endpoints can take, whatever
// they do (see poll.RoundBound).
func (c Config) RoundBound(n int) time.Duration {
	return poll.RoundBound(n, c.PerSecond, c.Concurrency, c.Timeout)
}

// Prober probes the endpoints in the background and keeps the last result
// of each endpoint still listed.
type Prober struct {
	cfg     Config
	limiter *rate.Limiter
	logger  *slog.Logger

	mu         sync.Mutex
	discovered certs.Discovery
	results    map[certs.Endpoint]certs.Probed
	version    uint64
	failures   map[string]uint64
	rounds     uint64
}

// NewProber builds a prober.
func NewProber(cfg Config, logger *slog.Logger) *Prober {
	return &Prober{cfg: cfg, logger: logger, limiter: rate.NewLimiter(rate.Limit(cfg.PerSecond), 1),
		results: map[certs.Endpoint]certs.Probed{}, failures: map[string]uint64{}}
}

// Run probes what discover() finds every Interval until ctx ends.
func (p *Prober) Run(ctx context.Context, discover func(context.Context) certs.Discovery) {
	poll.Every(ctx, p.cfg.Interval, func(ctx context.Context) { p.Probe(ctx, discover(ctx)) })
}

// Probe keeps d (Discovered) and probes its endpoints once.
func (p *Prober) Probe(ctx context.Context, d certs.Discovery) {
	p.mu.Lock()
	p.discovered = d
	p.version++
	p.mu.Unlock()
	p.ProbeAll(ctx, d.Endpoints)
}

// Discovered is what the last round set out to probe.
func (p *Prober) Discovered() certs.Discovery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.discovered
}

// ProbeAll probes every endpoint once, Concurrency at a time and at most
// PerSecond a second; endpoints no longer listed are forgotten.
func (p *Prober) ProbeAll(ctx context.Context, eps []certs.Endpoint) {
	sem := make(chan struct{}, max(1, p.cfg.Concurrency))
	pools := bundlePools(eps, p.cfg.Roots)
	var wg sync.WaitGroup
	for _, ep := range eps {
		if err := p.limiter.Wait(ctx); err != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := Probe(ctx, Target{Address: ep.Address, ServerName: ep.Host},
				Options{Timeout: p.cfg.Timeout, MaxBytes: p.cfg.MaxBytes, Roots: pools[ep.CABundle]})
			if ctx.Err() != nil {
				return // interrupted: not a result
			}
			r.Chain = nil
			p.mu.Lock()
			defer p.mu.Unlock()
			if r.Reason != "" {
				p.failures[r.Reason]++
				p.logger.Debug("TLS probe failed", "kind", ep.Kind, "namespace", ep.Namespace, "name", ep.Name, "host", ep.Host, "reason", r.Reason, "err", r.Err)
			}
			p.results[ep] = certs.Probed{Handshake: r, At: time.Now()}
			p.version++
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	listed := make(map[certs.Endpoint]bool, len(eps))
	for _, ep := range eps {
		listed[ep] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for ep := range p.results {
		if !listed[ep] {
			delete(p.results, ep)
			p.version++
		}
	}
	p.rounds++
}

// bundlePools parses each distinct CA bundle once; "" is the configured
// roots. A bundle without a certificate verifies nothing (an empty pool),
// as the API server would find.
func bundlePools(eps []certs.Endpoint, roots *x509.CertPool) map[string]*x509.CertPool {
	pools := map[string]*x509.CertPool{"": roots}
	for _, ep := range eps {
		if _, ok := pools[ep.CABundle]; !ok {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM([]byte(ep.CABundle))
			pools[ep.CABundle] = pool
		}
	}
	return pools
}

// Rounds counts the rounds completed: 0 while the first one runs.
func (p *Prober) Rounds() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rounds
}

// Results returns a copy of the last probe of every listed endpoint.
func (p *Prober) Results() map[certs.Endpoint]certs.Probed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.results)
}

// Version changes whenever a result does.
func (p *Prober) Version() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// Failures counts failed probes by reason since start.
func (p *Prober) Failures() map[string]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.failures)
}
