//go:build !agentonly

package main

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/memlimit"
)

func runCentral(ctx context.Context, e *environment) error {
	if len(e.args) > 0 {
		return usageError{fmt.Sprintf("central takes no arguments, got %q", e.args)}
	}
	// Checked before anything starts (the score collector reads it again).
	if _, err := readExemptions(e); err != nil {
		return err
	}
	specs, err := selectCollectors(e, collector.Central)
	if err != nil {
		return err
	}
	memlimit.SetGCPercent(startupGCPercent)
	c, err := newCentralClients(e)
	if err != nil {
		return err
	}
	// Only what the enabled collectors read is watched, polled or
	// fetched: a disabled collector costs nothing and needs no RBAC rule.
	inf, err := kube.New(c.held, e.cfg.ResyncPeriod, e.logger, collector.Reads(specs))
	if err != nil {
		return err
	}
	// Every informer, whichever part started it, reports its sync state
	// and errors through one list.
	watches := &kube.Watches{Activity: c.activity}
	watches.Add(inf)
	limit := liveLimit()
	releaser := memlimit.NewReleaser(releaseAfterBytes)
	releaser.Then = func() {
		limit.Apply()
		releaseExecutablePages(e.logger)
	}
	deps := collector.Deps{Logger: e.logger, Cluster: inf, Status: watches, Settings: settings(e),
		AfterCollect: releaser.After, APIServerVersion: kube.APIServerVersion(c.oneOff)}
	// Sources that start informers end, informers included, before
	// central returns.
	var background sync.WaitGroup
	defer background.Wait()
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground() // first: central may return early, on an error
	if e.cfg.PolicyReports {
		// Fed by the score collector: its findings, as often as the
		// cluster changes, written at most every interval.
		w := kube.NewPolicyReportWriter(c.dyn, e.cfg.PolicyReportsInterval, e.logger.With("component", "policyreports"))
		deps.FindingsSink = w.Offer
		background.Go(func() { w.Run(bgCtx) })
		if !slices.ContainsFunc(specs, func(s *collector.Spec) bool { return s.Name == "score" }) {
			e.logger.Warn("RELIABILITY_POLICY_REPORTS is set but the score collector, which computes the findings, is disabled: no report is written")
		}
	}
	r := &centralRun{ctx: ctx, bgCtx: bgCtx, background: &background, e: e, clients: c, inf: inf, watches: watches, deps: &deps}
	defer r.stopAll()
	for _, src := range centralSources {
		if src.needed(specs) {
			if err := src.start(r); err != nil {
				return err
			}
		}
	}
	defer inf.Start(ctx)()
	go waitForSync(ctx, e, inf, limit)
	return serve(ctx, e, collector.Central, specs, e.cfg.ListenAddress, deps, inf.Ready)
}

// liveLimit is central's soft memory limit: liveLimitRatio times the live
// heap, measured after each release, within the container's limit.
func liveLimit() memlimit.LiveLimit {
	l := memlimit.LiveLimit{Ratio: liveLimitRatio, Floor: liveLimitFloor}
	if current := debug.SetMemoryLimit(-1); current < math.MaxInt64 {
		l.Ceiling = current // the container's (memlimit.Set)
	}
	return l
}

// waitForSync logs when the caches are synced, and keeps saying so while
// they are not: until then /readyz is 503 and collectors export nothing.
func waitForSync(ctx context.Context, e *environment, inf *kube.Informers, limit memlimit.LiveLimit) {
	for ctx.Err() == nil {
		wait, cancel := context.WithTimeout(ctx, e.cfg.SyncTimeout)
		ok := inf.WaitForSync(wait)
		cancel()
		if ok {
			e.logger.Info("informer caches synced")
			memlimit.SetGCPercent(centralGCPercent)
			// The initial lists were decoded into memory the caches no
			// longer need: hand it back now rather than over the next
			// minutes (at 150,000 pods, hundreds of MiB of RSS).
			debug.FreeOSMemory()
			e.logger.Debug("Go memory limit set from the live heap", "bytes", limit.Apply())
			releaseExecutablePages(e.logger)
			return
		}
		if ctx.Err() == nil {
			e.logger.Warn("informer caches still not synced", "duration_seconds", e.cfg.SyncTimeout.Seconds())
		}
	}
}

// startEtcd starts polling the configured etcd members in the background;
// with none configured it returns a nil source and the etcd collector
// exports nothing.
func startEtcd(ctx context.Context, e *environment) (collector.EtcdSource, collector.EtcdJudgement, error) {
	var j collector.EtcdJudgement
	issues, err := etcd.KnownIssues()
	if err != nil {
		return nil, j, err
	}
	j.Issues = issues
	// Both parse: config.Validate checked them.
	j.Minimum, _ = etcd.ParseMinimum(e.cfg.EtcdOldestMinor, e.cfg.EtcdMinimumVersions)
	members, _ := etcd.ParseMembers(e.cfg.EtcdEndpoints)
	if len(members) == 0 {
		return nil, j, nil
	}
	p, err := etcd.NewPoller(etcd.Config{
		Members: members, Timeout: e.cfg.EtcdTimeout,
		TLS: etcd.TLSFiles{CA: e.cfg.EtcdCaFile, Cert: e.cfg.EtcdCertFile, Key: e.cfg.EtcdKeyFile},
	}, e.logger.With("collector", "etcd"))
	if err != nil {
		return nil, j, &config.Error{Key: config.Key("ETCD_CA_FILE"), Value: e.cfg.EtcdCaFile, Err: err}
	}
	m := etcd.NewMonitor(p, e.cfg.EtcdPollInterval)
	go func() {
		m.Run(ctx)
		p.Close()
	}()
	return m, j, nil
}
