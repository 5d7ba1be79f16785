package collector

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/ingress"
	"github.com/kube-reliability/kube-reliability-exporter/internal/targets"
)

var (
	targetLabel      = []string{"target"}
	stubErrorReasons = []string{ingress.StubTimeout, ingress.StubUnreachable, ingress.StubHTTPStatus, ingress.StubMalformed, ingress.StubTooLarge}
)

const perStubTarget = "one series per configured stub_status URL"

var nginxStubStatusSpec = Spec{
	Name: "nginx_stub_status", Modes: Agent, DefaultEnabled: true,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_nginx_stub_status_up", Type: Gauge, Stability: Experimental,
			Help: "1 if the stub_status page was read and parsed in this scrape, 0 if not (its other series are then absent; the errors counter says why).", Labels: targetLabel, Bound: perStubTarget},
		{Name: "kube_reliability_nginx_connections", Type: Gauge, Stability: Experimental,
			Help:   "nginx client connections from stub_status: active (all open, including waiting), reading (request header), writing (response, including the stub_status request itself), waiting (idle keep-alive).",
			Labels: []string{"target", "state"}, Bound: "4 series per configured stub_status URL"},
		{Name: "kube_reliability_nginx_connections_accepted_total", Type: Counter, Stability: Experimental,
			Help: "Client connections nginx accepted since it started (stub_status).", Labels: targetLabel, Bound: perStubTarget},
		{Name: "kube_reliability_nginx_connections_handled_total", Type: Counter, Stability: Experimental,
			Help: "Client connections nginx handled since it started; below accepted when worker_connections ran out (stub_status).", Labels: targetLabel, Bound: perStubTarget},
		{Name: "kube_reliability_nginx_http_requests_total", Type: Counter, Stability: Experimental,
			Help: "Client requests nginx received since it started (stub_status).", Labels: targetLabel, Bound: perStubTarget},
		{Name: "kube_reliability_nginx_stub_status_errors_total", Type: Counter, Stability: Experimental,
			Help:   "Failed stub_status reads since the agent started, by reason: timeout, unreachable, http_status (not 200, or a redirect), malformed (not a stub_status page), too_large (over 4 KiB).",
			Labels: []string{"target", "reason"}, Bound: "5 series per configured stub_status URL"},
	},
	New: func(d Deps) (Collector, error) {
		if len(d.StubStatus) == 0 {
			return noSource{}, nil
		}
		errs := map[string]map[string]uint64{}
		for _, t := range d.StubStatus {
			errs[t.Name] = map[string]uint64{}
		}
		return &stubStatusCollector{targets: d.StubStatus, timeout: d.StubStatusTimeout, client: ingress.NewStubClient(), logger: d.Logger, errors: errs}, nil
	},
}

type stubStatusCollector struct {
	targets []targets.Target
	timeout time.Duration
	client  *http.Client
	logger  *slog.Logger

	mu     sync.Mutex
	errors map[string]map[string]uint64 // target -> reason -> count
}

func (c *stubStatusCollector) Update(ctx context.Context, e *Emitter) error {
	type result struct {
		s   ingress.StubStatus
		err error
	}
	results := make([]result, len(c.targets))
	var wg sync.WaitGroup
	for i, t := range c.targets {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			s, err := ingress.FetchStubStatus(ctx, c.client, t.URL.String())
			results[i] = result{s, err}
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range c.targets {
		r := results[i]
		if r.err != nil {
			reason := ingress.StubUnreachable
			var se *ingress.StubError
			if errors.As(r.err, &se) {
				reason = se.Reason
			}
			c.errors[t.Name][reason]++
			if c.logger != nil {
				c.logger.Warn("stub_status read failed", "target", t.Name, "reason", reason, "err", r.err)
			}
			e.Gauge("kube_reliability_nginx_stub_status_up", 0, t.Name)
		} else {
			s := r.s
			e.Gauge("kube_reliability_nginx_stub_status_up", 1, t.Name)
			for state, v := range map[string]uint64{"active": s.Active, "reading": s.Reading, "writing": s.Writing, "waiting": s.Waiting} {
				e.Gauge("kube_reliability_nginx_connections", float64(v), t.Name, state)
			}
			e.Counter("kube_reliability_nginx_connections_accepted_total", float64(s.Accepted), t.Name)
			e.Counter("kube_reliability_nginx_connections_handled_total", float64(s.Handled), t.Name)
			e.Counter("kube_reliability_nginx_http_requests_total", float64(s.Requests), t.Name)
		}
		for _, reason := range stubErrorReasons {
			e.Counter("kube_reliability_nginx_stub_status_errors_total", float64(c.errors[t.Name][reason]), t.Name, reason)
		}
	}
	return nil
}
