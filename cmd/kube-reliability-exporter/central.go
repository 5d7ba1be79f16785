//go:build !agentonly

package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
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
	rc, err := restConfig(e)
	if err != nil {
		return err
	}
	// Every client below shares this recorder: it tells when each
	// informer's list or watch last succeeded.
	activity := apitransport.NewActivity(e.logger)
	base := rest.CopyConfig(rc)
	rc.Wrap(activity.WrapTransport)
	// The informers' requests are held while the API server is down or
	// refusing, and answered within 5 s of its return (see apitransport.Gate);
	// one-off requests, which have deadlines to keep, fail at once.
	gate := apitransport.NewGate(500*time.Millisecond, 5*time.Second)
	held := rest.CopyConfig(base)
	held.Wrap(activity.WrapHeldTransport(gate, false))
	client, err := typedClient(held)
	if err != nil {
		return err
	}
	oneOff, err := typedClient(rc)
	if err != nil {
		return err
	}
	// Only what the enabled collectors read is watched, polled or
	// fetched: a disabled collector costs nothing and needs no RBAC rule.
	inf, err := kube.New(client, e.cfg.ResyncPeriod, e.logger, collector.Reads(specs))
	if err != nil {
		return err
	}
	// Every informer, whichever part started it, reports its sync state
	// and errors through one list.
	watches := &kube.Watches{Activity: activity}
	watches.Add(inf)
	deps := collector.Deps{Logger: e.logger, Cluster: inf, Status: watches, ExcludedNamespaces: e.cfg.ExcludedNamespaces, HealthConfig: healthConfig(e),
		AnalysisMinInterval: e.cfg.AnalysisMinInterval, HypothesesFile: e.cfg.HypothesesFile, ExemptionsFile: e.cfg.ExemptionsFile, OwnerLabels: e.cfg.OwnerLabels}
	if collector.Uses(specs, collector.HelmStorages) {
		// Helm's storages need an optional role: their failures are
		// counted but not warned about (helm_storage_available says it).
		hc := rest.CopyConfig(base)
		hc.Wrap(activity.WrapHeldTransport(gate, true))
		mc, err := metadata.NewForConfig(hc)
		if err != nil {
			return fmt.Errorf("kubernetes metadata client: %w", err)
		}
		helm, err := kube.NewHelm(mc, e.cfg.ResyncPeriod, e.logger)
		if err != nil {
			return err
		}
		defer helm.Start(ctx)()
		watches.Add(helm)
		deps.Helm = helm
	}
	if collector.Uses(specs, collector.EtcdMembers) {
		if deps.Etcd, deps.EtcdJudgement, err = startEtcd(ctx, e); err != nil {
			return err
		}
	}
	if collector.Uses(specs, collector.APIServerStorage) {
		storage := kube.NewStorageMonitor(oneOff, e.cfg.EtcdPollInterval, e.logger.With("collector", "apiserver_storage"))
		go storage.Run(ctx)
		deps.Storage = storage
	}
	// Watchers that start informers end, informers included, before
	// central returns.
	var background sync.WaitGroup
	defer background.Wait()
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground() // first: central may return early, on an error

	dyn, err := dynamic.NewForConfig(held)
	if err != nil {
		return fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	disc, err := discoveryClient(rc)
	if err != nil {
		return err
	}
	// CRDs (Gateway API, KEDA) may be installed at any time: look for
	// them every 30s (discovery is one cheap request).
	if collector.Uses(specs, collector.GatewayAPI) {
		gw := kube.NewGatewayWatcher(disc, dyn, 30*time.Second, e.logger.With("collector", "gateway"))
		background.Go(func() { gw.Run(bgCtx) })
		watches.Add(gw)
		deps.Gateway = gw
	}
	if collector.Uses(specs, collector.APIServices) {
		as := kube.NewAPIServiceWatcher(disc, dyn, 30*time.Second, e.logger.With("collector", "apiservices"))
		background.Go(func() { as.Run(bgCtx) })
		watches.Add(as)
		deps.APIServices = as
	}
	if collector.Uses(specs, collector.CertManager) {
		cm := kube.NewCertManagerWatcher(disc, dyn, 30*time.Second, e.logger.With("collector", "certificates"))
		background.Go(func() { cm.Run(bgCtx) })
		watches.Add(cm)
		deps.CertManager = cm
	}
	if slices.Contains(collector.Reads(specs), "horizontalpodautoscalers") {
		// KEDA's ScaledObjects set replica floors as HPAs do.
		so := inf.WatchScaledObjects(disc, dyn, 30*time.Second)
		background.Go(func() { so.Run(bgCtx) })
		watches.Add(so)
	}
	defer inf.Start(ctx)()
	go waitForSync(ctx, e, inf)
	if collector.Uses(specs, collector.HealthEndpoints) {
		deps.Health = startHealthFetcher(ctx, e, inf)
	}
	if collector.Uses(specs, collector.TLSEndpoints) {
		ca, err := clusterCA(base)
		if err != nil {
			return err
		}
		if deps.Certs, err = startCertProber(ctx, e, inf, deps.Gateway, deps.APIServices, oneOff,
			certs.APIServer(e.cfg.Kubeconfig == "", base.Host, ca)); err != nil {
			return err
		}
	}
	return serve(ctx, e, collector.Central, specs, e.cfg.ListenAddress, deps, inf.Ready)
}

// waitForSync logs when the caches are synced, and keeps saying so while
// they are not: until then /readyz is 503 and collectors export nothing.
func waitForSync(ctx context.Context, e *environment, inf *kube.Informers) {
	for ctx.Err() == nil {
		wait, cancel := context.WithTimeout(ctx, e.cfg.SyncTimeout)
		ok := inf.WaitForSync(wait)
		cancel()
		if ok {
			e.logger.Info("informer caches synced")
			// The initial lists were decoded into memory the caches no
			// longer need: hand it back now rather than over the next
			// minutes (at 150,000 pods, hundreds of MiB of RSS).
			debug.FreeOSMemory()
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
