//go:build !agentonly && !nodemo

package main

import (
	"cmp"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/ingress"
	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/demo"
	"github.com/kube-reliability/kube-reliability-exporter/internal/host"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

// demoAddress keeps demo on loopback unless RELIABILITY_LISTEN_ADDRESS says
// otherwise: a laptop demo has no business listening on every interface.
const demoAddress = "127.0.0.1:9759"

func runDemo(ctx context.Context, e *environment) error {
	if len(e.args) > 0 {
		return usageError{fmt.Sprintf("demo takes no arguments (set RELIABILITY_DEMO_SNAPSHOT to serve other manifests), got %q", e.args)}
	}
	// Checked before anything starts (the score collector reads it again).
	if _, err := readExemptions(e); err != nil {
		return err
	}
	specs, err := selectCollectors(e, collector.Demo)
	if err != nil {
		return err
	}
	var paths []string
	source := demo.BundledName
	if e.cfg.DemoSnapshot != "" {
		paths, source = []string{e.cfg.DemoSnapshot}, e.cfg.DemoSnapshot
	}
	// The background parts log: they end before demo returns, so nothing
	// writes to the log after run has written its last line (an early
	// error, say, a bad hypotheses file).
	var background sync.WaitGroup
	defer background.Wait()
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	r := &demoRun{ctx: ctx, bgCtx: bgCtx, background: &background, e: e}
	defer r.stopAll()
	deps, err := r.start(paths, specs)
	if err != nil || ctx.Err() != nil {
		return cmp.Or(err, ctx.Err())
	}
	address := e.cfg.ListenAddress
	if _, set := os.LookupEnv("RELIABILITY_LISTEN_ADDRESS"); !set {
		address = demoAddress
	}
	started := e.started
	e.started = func(addr string) {
		fmt.Fprintf(e.stdout, "demo: serving the %s on http://%s/metrics (Ctrl-C to stop)\n", source, addr)
		if started != nil {
			started(addr)
		}
	}
	return serve(ctx, e, collector.Demo, specs, address, deps, r.inf.Ready)
}

// demoRun starts demo's sources: the API server's objects from manifests
// through fake clients, the embedded etcd, the demo's TLS and health
// endpoints on loopback and this machine's nginx.
type demoRun struct {
	ctx, bgCtx context.Context
	background *sync.WaitGroup
	e          *environment
	inf        *kube.Informers
	stops      []func()
}

func (r *demoRun) stopAll() {
	for _, stop := range slices.Backward(r.stops) {
		stop()
	}
}

// start starts every source and waits for the caches, so the first
// scrape shows the whole demo.
func (r *demoRun) start(paths []string, specs []*collector.Spec) (collector.Deps, error) {
	e := r.e
	deps := collector.Deps{Logger: e.logger, Settings: settings(e)}
	activity := apitransport.NewActivity(e.logger)
	client, err := demo.Client(paths, activity.Succeeded)
	if err != nil {
		return deps, err
	}
	if r.inf, err = kube.New(client, 0, e.logger, collector.Reads(specs)); err != nil {
		return deps, err
	}
	mc, err := demo.MetadataClient()
	if err != nil {
		return deps, err
	}
	helm, err := kube.NewHelm(mc, 0, e.logger)
	if err != nil {
		return deps, err
	}
	var stopEtcd func()
	if deps.Etcd, deps.EtcdJudgement, deps.EtcdDataDir, stopEtcd, err = demoEtcd(r.ctx, e); err != nil {
		return deps, err
	}
	r.stops = append(r.stops, stopEtcd)
	gw, cm, roots, err := r.startCRDs()
	if err != nil {
		return deps, err
	}
	r.stops = append(r.stops, r.inf.Start(r.ctx), helm.Start(r.ctx))
	if !r.inf.WaitForSync(r.ctx) || !helm.WaitForSync(r.ctx) || !gw.WaitForSync(r.ctx) || !waitForCertManager(r.ctx, cm) {
		return deps, r.ctx.Err()
	}
	watches := &kube.Watches{Activity: activity}
	for _, w := range []cluster.StatusReporter{r.inf, helm, gw, cm} {
		watches.Add(w)
	}
	deps.Cluster, deps.Status, deps.Helm, deps.Gateway, deps.CertManager = r.inf, watches, helm, gw, cm
	deps.Nginx = r.startNginx()
	deps.Health = startDemoHealthFetcher(r.ctx, e, r.inf)
	deps.Certs = startDemoCertProber(r.bgCtx, r.background, e, r.inf, gw, roots)
	// The agent's part of the demo: this machine's own /proc and /sys,
	// for the demo etcd's data directory.
	deps.Disk = host.Resolver{ProcRoot: "/proc", SysRoot: "/sys", PID: "self"}
	return deps, nil
}

// startCRDs serves the demo Gateway's HTTPS hosts on loopback, with what
// cert-manager would say it issued for them, and the demo cluster's
// health endpoints at loopback pod IPs; then watches the Gateway API and
// cert-manager objects as central does.
func (r *demoRun) startCRDs() (*kube.GatewayWatcher, *kube.CertManagerWatcher, *x509.CertPool, error) {
	hosts, err := demo.ServeTLS(r.bgCtx)
	if err != nil {
		r.e.logger.Warn("the demo TLS hosts could not be served", "err", err)
	}
	if err := demo.ServeHealth(r.bgCtx); err != nil {
		r.e.logger.Warn("some demo health endpoints could not be served", "err", err)
	}
	disc, dyn, err := demo.CRDClients(hosts.Certificates)
	if err != nil {
		return nil, nil, nil, err
	}
	gw := kube.NewGatewayWatcher(disc, dyn, time.Second, r.e.logger)
	r.background.Go(func() { gw.Run(r.bgCtx) })
	cm := kube.NewCertManagerWatcher(disc, dyn, time.Second, r.e.logger)
	r.background.Go(func() { cm.Run(r.bgCtx) })
	return gw, cm, hosts.Roots, nil
}

// startNginx is the agent's part of the demo: nginx on this machine, if
// any runs, known before the first scrape.
func (r *demoRun) startNginx() *ingress.Tracker {
	tracker := ingress.NewTracker("/proc", nil)
	_ = tracker.Sample()
	r.background.Go(func() { tracker.Run(r.bgCtx, time.Second) })
	return tracker
}

// demoEtcd starts the demo's embedded etcd, near its quota, and polls it
// exactly as central polls real members.
func demoEtcd(ctx context.Context, e *environment) (collector.EtcdSource, collector.EtcdJudgement, string, func(), error) {
	var j collector.EtcdJudgement
	issues, err := etcd.KnownIssues()
	if err != nil {
		return nil, j, "", nil, err
	}
	j.Issues, j.Minimum = issues, etcd.DefaultMinimum()
	d, err := demo.StartEtcd(ctx)
	if err != nil {
		return nil, j, "", nil, err
	}
	p, err := etcd.NewPoller(etcd.Config{Members: []etcd.Member{{Name: "demo-etcd", URL: d.ClientURL}}, Timeout: 5 * time.Second}, e.logger)
	if err != nil {
		d.Close()
		return nil, j, "", nil, err
	}
	m := etcd.NewMonitor(p, 15*time.Second)
	m.PollOnce(ctx)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	return m, j, d.DataDir(), func() { cancel(); <-done; p.Close(); d.Close() }, nil
}

// startDemoHealthFetcher is startHealthFetcher that waits (a few seconds
// at most) for the first round, so demo's first scrape shows the graph.
func startDemoHealthFetcher(ctx context.Context, e *environment, src cluster.Source) collector.HealthSource {
	f := newHealthFetcher(ctx, e, src)
	if f == nil {
		return nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if _, done := f.LastRound(); done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return f
}

// waitForCertManager waits until the demo's Certificates are cached.
func waitForCertManager(ctx context.Context, cm *kube.CertManagerWatcher) bool {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := cm.Certificates(); err == nil {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// startDemoCertProber probes the demo's TLS hosts: one round before the
// first scrape, then every RELIABILITY_TLS_PROBE_INTERVAL, verified with
// the demo's own CA. Nil when RELIABILITY_TLS_PROBE is off.
func startDemoCertProber(ctx context.Context, background *sync.WaitGroup, e *environment, src cluster.Source, gw collector.GatewaySource, roots *x509.CertPool) collector.CertSource {
	if !e.cfg.TLSProbe {
		return nil
	}
	p := tlsprobe.NewProber(tlsprobe.Config{Interval: e.cfg.TLSProbeInterval, Timeout: e.cfg.TLSProbeTimeout,
		Concurrency: e.cfg.TLSProbeConcurrency, PerSecond: e.cfg.TLSProbesPerSecond, Roots: roots}, e.logger.With("collector", "certificates"))
	discover := func(context.Context) certs.Discovery {
		snap, err := src.Snapshot()
		if err != nil {
			return certs.Discovery{}
		}
		return certs.Compose(certs.Discover(snap), collector.TLSListeners(gw), certs.Discovery{})
	}
	p.Probe(ctx, discover(ctx))
	background.Go(func() {
		select { // the first round is done
		case <-ctx.Done():
			return
		case <-time.After(e.cfg.TLSProbeInterval):
		}
		p.Run(ctx, discover)
	})
	return p
}
