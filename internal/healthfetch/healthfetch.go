package healthfetch

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthresp"
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"

	"github.com/kube-reliability/kube-reliability-exporter/internal/bounded"
)

// Reasons a fetch failed: bounded, for metrics.
const (
	ReasonTimeout     = "timeout"
	ReasonUnreachable = "unreachable"
	ReasonHTTPStatus  = "http_status"
	ReasonRedirect    = "redirect"
	ReasonTooLarge    = "too_large"
	ReasonTooDeep     = "too_deep"
	ReasonInvalidUTF8 = "invalid_utf8"
	ReasonInvalidJSON = "invalid_json"
	ReasonTLS         = "tls"
)

// Reasons lists every reason, for metrics.
var Reasons = []string{ReasonTimeout, ReasonUnreachable, ReasonHTTPStatus, ReasonRedirect, ReasonTooLarge,
	ReasonTooDeep, ReasonInvalidUTF8, ReasonInvalidJSON, ReasonTLS}

// Config bounds the fetcher.
type Config struct {
	Interval    time.Duration // how often every endpoint is read
	Timeout     time.Duration // one read, connect to last byte
	MaxBody     int64         // bytes of one response
	MaxDepth    int           // JSON nesting
	Concurrency int           // reads in flight
	PerSecond   float64       // reads started per second
	// PublishEvery is how often the results read so far in a round are
	// handed out (0: every 5 minutes): at 20,000 workloads and 20 reads/s
	// a round takes half an hour, and the graph should not wait for its
	// end to know what was read. Each publication re-runs the health
	// analysis (at 150,000 pods, about 0.5 s of CPU and 160 MB allocated,
	// measured: every minute cost 60 MB per scrape and 0.5 s of CPU per
	// idle minute), hence not more often.
	PublishEvery time.Duration
}

// RoundBound is the longest a round over n endpoints can take, whatever
// they do (see poll.RoundBound).
func (c Config) RoundBound(n int) time.Duration {
	return poll.RoundBound(n, c.PerSecond, c.Concurrency, c.Timeout)
}

// Fetcher reads the endpoints in the background and keeps the last result
// of each.
type Fetcher struct {
	cfg     Config
	client  *http.Client
	limiter *rate.Limiter
	logger  *slog.Logger

	mu sync.Mutex
	// current holds the latest result of every endpoint, updated as each
	// read ends; results is a copy of it, handed out and replaced (never
	// changed) at most every PublishEvery and at each round's end.
	current   map[probeKey]endpointResult
	results   map[healthcheck.Endpoint]healthcheck.Fetched
	published time.Time
	version   uint64
	failures  map[string]uint64
	round     uint64
	last      RoundStats
	now       func() time.Time
}

// RoundStats describes the last complete round.
type RoundStats struct {
	Duration  time.Duration
	Endpoints int
}

var errRedirect = errors.New("redirect not followed")

type podAddrKey struct{}

// New builds a fetcher.
func New(cfg Config, logger *slog.Logger) *Fetcher {
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	transport := &http.Transport{
		// Only ever the pod's own address, whatever a response or a
		// proxy setting says.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if want, _ := ctx.Value(podAddrKey{}).(string); addr != want {
				return nil, fmt.Errorf("refusing to dial %s: not the pod's address %s", addr, want)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		// The pod's certificate names nothing we could check, and nothing
		// read is trusted beyond its shape: no verification, no
		// credentials sent.
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
		ResponseHeaderTimeout:  cfg.Timeout,
		ForceAttemptHTTP2:      false,
	}
	return &Fetcher{
		cfg:    cfg,
		logger: logger,
		client: &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
		},
		limiter:  rate.NewLimiter(rate.Limit(cfg.PerSecond), 1),
		current:  map[probeKey]endpointResult{},
		results:  map[healthcheck.Endpoint]healthcheck.Fetched{},
		failures: map[string]uint64{},
		now:      time.Now,
	}
}

// Run reads the endpoints endpoints() lists every Interval until ctx ends.
func (f *Fetcher) Run(ctx context.Context, endpoints func() []healthcheck.Endpoint) {
	poll.Every(ctx, f.cfg.Interval, func(ctx context.Context) { f.FetchAll(ctx, endpoints()) })
}

// FetchAll reads every endpoint once, Concurrency at a time and at most
// PerSecond reads a second, and keeps only these results.
func (f *Fetcher) FetchAll(ctx context.Context, eps []healthcheck.Endpoint) {
	start := time.Now()
	sem := make(chan struct{}, max(1, f.cfg.Concurrency))
	var wg sync.WaitGroup
	for _, ep := range eps {
		if err := f.limiter.Wait(ctx); err != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := f.Fetch(ctx, ep)
			if ctx.Err() != nil {
				return // interrupted: not a result
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if r.Err != "" {
				// Counted as they happen: at 15,000 workloads a round
				// takes minutes.
				f.failures[r.Err]++
			}
			f.record(ep, r)
			if f.now().Sub(f.published) >= cmp.Or(f.cfg.PublishEvery, 5*time.Minute) {
				f.publish()
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return // interrupted: what was read so far stays, the round does not count
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.round++
	f.last = RoundStats{Duration: time.Since(start), Endpoints: len(eps)}
	// Workloads no longer listed (gone, no ready pod) drop out.
	listed := make(map[probeKey]bool, len(eps))
	for _, ep := range eps {
		listed[probeKey{ep.Key, ep.Probe}] = true
	}
	for k := range f.current {
		if !listed[k] {
			delete(f.current, k)
		}
	}
	f.publish()
}

// probeKey is one workload's probe, whichever pod serves it.
type probeKey struct {
	key   healthcheck.Key
	probe string
}

type endpointResult struct {
	ep healthcheck.Endpoint
	r  healthcheck.Fetched
}

// record stores a read's result: a success is known as of now; a failure
// keeps the workload's last good response (a flapping endpoint must not
// erase the dependencies it was seen to check), with when it was read.
// The previous result is looked up by workload and probe, so a new pod
// (another URL) inherits it. Call with f.mu held.
func (f *Fetcher) record(ep healthcheck.Endpoint, r healthcheck.Fetched) {
	k := probeKey{ep.Key, ep.Probe}
	if r.Err == "" {
		r.Known, r.ReadAt = true, f.now()
	} else if prev, ok := f.current[k]; ok && prev.r.Known {
		r.Response, r.Known, r.ReadAt = prev.r.Response, true, prev.r.ReadAt
	}
	f.current[k] = endpointResult{ep, r}
}

// publish hands out the current results. Call with f.mu held.
func (f *Fetcher) publish() {
	f.results = make(map[healthcheck.Endpoint]healthcheck.Fetched, len(f.current))
	for _, e := range f.current {
		f.results[e.ep] = e.r
	}
	f.published = f.now()
	f.version++
}

// Fetch reads one endpoint.
func (f *Fetcher) Fetch(ctx context.Context, ep healthcheck.Endpoint) healthcheck.Fetched {
	r, err := f.fetch(ctx, ep)
	if err != nil {
		reason := classify(err)
		if f.logger != nil {
			f.logger.Debug("health endpoint read failed", "namespace", ep.Key.Namespace, "kind", ep.Key.Kind,
				"name", ep.Key.Name, "probe", ep.Probe, "reason", reason, "err", err)
		}
		return healthcheck.Fetched{Err: reason}
	}
	return healthcheck.Fetched{Response: r}
}

type reasonError struct {
	reason string
	err    error
}

func (e *reasonError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *reasonError) Unwrap() error { return e.err }

func (f *Fetcher) fetch(ctx context.Context, ep healthcheck.Endpoint) (healthresp.Response, error) {
	u, err := url.Parse(ep.URL)
	if err != nil {
		return healthresp.Response{}, &reasonError{ReasonUnreachable, err}
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, podAddrKey{}, u.Host), f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.URL, nil)
	if err != nil {
		return healthresp.Response{}, &reasonError{ReasonUnreachable, err}
	}
	req.Header.Set("User-Agent", "kube-reliability-exporter")
	req.Header.Set("Accept", "application/health+json, application/json;q=0.9, */*;q=0.1")
	resp, err := f.client.Do(req)
	if err != nil {
		return healthresp.Response{}, err
	}
	defer resp.Body.Close()
	// A failing health check answers 503 with the components that fail:
	// that body tells the dependencies as well as a 200's.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return healthresp.Response{}, &reasonError{ReasonHTTPStatus, fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	body, err := bounded.Read(resp.Body, f.cfg.MaxBody)
	switch {
	case errors.Is(err, bounded.ErrTooLarge):
		return healthresp.Response{}, &reasonError{ReasonTooLarge, fmt.Errorf("body %w", err)}
	case err != nil:
		return healthresp.Response{}, err
	}
	r, err := healthresp.Parse(body, resp.Header.Get("Content-Type"), f.cfg.MaxDepth)
	switch {
	case errors.Is(err, healthresp.ErrTooDeep):
		return r, &reasonError{ReasonTooDeep, err}
	case errors.Is(err, healthresp.ErrInvalidUTF8):
		return r, &reasonError{ReasonInvalidUTF8, err}
	case err != nil:
		return r, &reasonError{ReasonInvalidJSON, err}
	}
	return r, nil
}

func classify(err error) string {
	var re *reasonError
	var tlsErr *tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case errors.As(err, &re):
		return re.reason
	case errors.Is(err, errRedirect):
		return ReasonRedirect
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.As(err, &tlsErr), errors.As(err, &certErr),
		// net/http turns a plain-HTTP answer to a TLS hello into this.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return ReasonTLS
	}
	return ReasonUnreachable
}

// Version changes whenever Results does.
func (f *Fetcher) Version() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version
}

// Results returns the latest result per endpoint, as last published. The
// map is replaced, never changed, by later publications: callers may keep
// it.
func (f *Fetcher) Results() map[healthcheck.Endpoint]healthcheck.Fetched {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.results
}

// LastRound describes the last complete round; ok is false before one.
func (f *Fetcher) LastRound() (RoundStats, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, f.round > 0
}

// Interval is how often rounds start (a round longer than it starts the
// next one late).
func (f *Fetcher) Interval() time.Duration { return f.cfg.Interval }

// Failures counts failed reads since start, by reason.
func (f *Fetcher) Failures() map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.failures)
}
