//go:build !agentonly

package main

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthfetch"
)

// startHealthFetcher reads the health endpoints of src's workloads in the
// background, or returns nil when fetching is off.
func startHealthFetcher(ctx context.Context, e *environment, src cluster.Source) collector.HealthSource {
	f := newHealthFetcher(ctx, e, src)
	if f == nil {
		return nil // a nil *Fetcher in the interface would not be nil
	}
	return f
}

func newHealthFetcher(ctx context.Context, e *environment, src cluster.Source) *healthfetch.Fetcher {
	if !e.cfg.HealthFetch {
		return nil
	}
	f := healthfetch.New(healthfetch.Config{
		Interval: e.cfg.HealthFetchInterval, Timeout: e.cfg.HealthFetchTimeout,
		MaxBody: e.cfg.HealthMaxBodyBytes, MaxDepth: e.cfg.HealthMaxJsonDepth,
		Concurrency: e.cfg.HealthFetchConcurrency, PerSecond: e.cfg.HealthFetchesPerSecond,
	}, e.logger.With("collector", "health"))
	go f.Run(ctx, func() []healthcheck.Endpoint {
		snap, err := src.Snapshot()
		if err != nil {
			return nil // caches not synced: nothing to read yet
		}
		return healthcheck.Endpoints(snap)
	})
	return f
}

// healthConfig is how health checks are recognised (central, demo, audit).
func healthConfig(e *environment) healthcheck.Config {
	return healthcheck.Config{LivenessRoutes: e.cfg.HealthLivenessRoutes, ReadinessRoutes: e.cfg.HealthReadinessRoutes,
		ClusterDomain: e.cfg.ClusterDomain}
}
