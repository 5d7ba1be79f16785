package collector

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Scrape meta-metrics emitted by every Set, one series per collector.
var (
	scrapeDurationSpec = MetricSpec{
		Name: "kube_reliability_scrape_collector_duration_seconds", Type: Gauge, Stability: Stable,
		Help:   "Time in seconds the collector took in the last scrape.",
		Labels: []string{"collector"}, Bound: "one series per enabled collector",
	}
	scrapeSuccessSpec = MetricSpec{
		Name: "kube_reliability_scrape_collector_success", Type: Gauge, Stability: Stable,
		Help:   "1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.",
		Labels: []string{"collector"}, Bound: "one series per enabled collector",
	}
)

// graceAfterDeadline is how long Collect waits past a collector's deadline
// for it to return before giving up on it, so one collector ignoring its
// context cannot hang every scrape.
const graceAfterDeadline = time.Second

type running struct {
	spec     *Spec
	c        Collector
	families map[string]family
	logger   *slog.Logger
}

// Set runs a selection of collectors as one prometheus.Collector.
type Set struct {
	collectors []running
	timeout    time.Duration
	logger     *slog.Logger
	duration   *prometheus.Desc
	success    *prometheus.Desc
}

// NewSet builds the collectors of specs. Each collector's logger is scoped
// with collector=<name>.
func NewSet(specs []*Spec, deps Deps, timeout time.Duration) (*Set, error) {
	s := &Set{
		timeout:  timeout,
		logger:   deps.Logger,
		duration: desc(&scrapeDurationSpec),
		success:  desc(&scrapeSuccessSpec),
	}
	for _, spec := range specs {
		d := deps
		d.Logger = deps.Logger.With("collector", spec.Name)
		c, err := spec.New(d)
		if err != nil {
			return nil, errors.Join(errors.New("collector "+spec.Name), err)
		}
		fams := make(map[string]family, len(spec.Metrics))
		for i := range spec.Metrics {
			m := &spec.Metrics[i]
			fams[m.Name] = family{spec: m, desc: desc(m)}
		}
		s.collectors = append(s.collectors, running{spec: spec, c: c, families: fams, logger: d.Logger})
	}
	return s, nil
}

func desc(m *MetricSpec) *prometheus.Desc {
	return prometheus.NewDesc(m.Name, m.Help, m.Labels, nil)
}

// Describe sends every family any selected collector may emit, so the
// registry checks them all (no unchecked collectors).
func (s *Set) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.duration
	ch <- s.success
	for _, r := range s.collectors {
		for _, f := range r.families {
			ch <- f.desc
		}
	}
}

// Collect runs every collector concurrently and waits for all of them.
func (s *Set) Collect(ch chan<- prometheus.Metric) {
	var wg sync.WaitGroup
	results := make([]result, len(s.collectors))
	for i := range s.collectors {
		wg.Go(func() { results[i] = s.run(&s.collectors[i]) })
	}
	wg.Wait()
	for i, r := range results {
		name := s.collectors[i].spec.Name
		for _, m := range r.metrics {
			ch <- m
		}
		ch <- prometheus.MustNewConstMetric(s.duration, prometheus.GaugeValue, r.duration.Seconds(), name)
		ok := 0.0
		if r.ok {
			ok = 1
		}
		ch <- prometheus.MustNewConstMetric(s.success, prometheus.GaugeValue, ok, name)
	}
}

type result struct {
	metrics  []prometheus.Metric
	duration time.Duration
	ok       bool
}

func (s *Set) run(r *running) result {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	start := time.Now()
	e := newEmitter(r.families)
	done := make(chan error, 1)
	go func() {
		defer func() {
			// A bug in one collector must not take the exporter down.
			if p := recover(); p != nil {
				done <- errors.New("collector panicked")
				r.logger.Error("collector panicked", "err", p)
			}
		}()
		done <- r.c.Update(ctx, e)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(s.timeout + graceAfterDeadline):
		err = errors.New("collector did not return after its deadline")
	}
	d := time.Since(start)
	if err == nil {
		err = e.err
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	switch {
	case err == nil:
		return result{metrics: e.out, duration: d, ok: true}
	case errors.Is(err, ErrNoData), errors.Is(err, cluster.ErrNotSynced):
		r.logger.Debug("collector has no data", "err", err, "duration_seconds", d.Seconds())
	default:
		r.logger.Error("collector failed", "err", err, "duration_seconds", d.Seconds())
	}
	return result{duration: d}
}
