//go:build !agentonly

package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
)

// centralSource is one background source of central mode: when the
// enabled collectors need it, and how it starts (filling its field of
// collector.Deps). Central starts them in this order, after the
// informers are built and before they start.
type centralSource struct {
	needed func(specs []*collector.Spec) bool
	start  func(r *centralRun) error
}

// centralSources are every background source central can start.
var centralSources = []centralSource{
	// Helm's storages need an optional role: their failures are counted
	// but not warned about (helm_storage_available says it).
	{uses(collector.HelmStorages), (*centralRun).startHelm},
	{uses(collector.EtcdMembers), (*centralRun).startEtcd},
	{uses(collector.APIServerStorage), (*centralRun).startStorage},
	// CRDs may be installed at any time: each watcher looks for its group
	// every 30 s (discovery is one cheap request).
	{uses(collector.GatewayAPI), func(r *centralRun) error {
		w := kube.NewGatewayWatcher(r.clients.disc, r.clients.dyn, 30*time.Second, r.e.logger.With("collector", "gateway"))
		r.deps.Gateway = w
		return r.runWatch(w)
	}},
	{uses(collector.APIServices), func(r *centralRun) error {
		w := kube.NewAPIServiceWatcher(r.clients.disc, r.clients.dyn, 30*time.Second, r.e.logger.With("collector", "apiservices"))
		r.deps.APIServices = w
		return r.runWatch(w)
	}},
	{uses(collector.CertManager), func(r *centralRun) error {
		w := kube.NewCertManagerWatcher(r.clients.disc, r.clients.dyn, 30*time.Second, r.e.logger.With("collector", "certificates"))
		r.deps.CertManager = w
		return r.runWatch(w)
	}},
	// KEDA's ScaledObjects set replica floors as HPAs do.
	{reads("horizontalpodautoscalers"), func(r *centralRun) error {
		return r.runWatch(r.inf.WatchScaledObjects(r.clients.disc, r.clients.dyn, 30*time.Second))
	}},
	{uses(collector.HealthEndpoints), func(r *centralRun) error {
		r.deps.Health = startHealthFetcher(r.ctx, r.e, r.inf)
		return nil
	}},
	// Last: it probes the endpoints the Gateway and APIService watchers
	// find.
	{uses(collector.TLSEndpoints), (*centralRun).startTLSProber},
}

func uses(src collector.Source) func([]*collector.Spec) bool {
	return func(specs []*collector.Spec) bool { return collector.Uses(specs, src) }
}

func reads(resource string) func([]*collector.Spec) bool {
	return func(specs []*collector.Spec) bool { return slices.Contains(collector.Reads(specs), resource) }
}

// centralClients are central's API clients. They share one activity
// recorder, which tells when each informer's list or watch last
// succeeded.
type centralClients struct {
	activity *apitransport.Activity
	gate     *apitransport.Gate
	// base is the configuration as given; held's requests wait out an
	// API server outage (apitransport.Gate); oneOff's, which have
	// deadlines to keep, fail at once.
	base         *rest.Config
	oneOffConfig *rest.Config
	held, oneOff kubernetes.Interface
	dyn          dynamic.Interface
	disc         discovery.DiscoveryInterface
}

func newCentralClients(e *environment) (*centralClients, error) {
	rc, err := restConfig(e)
	if err != nil {
		return nil, err
	}
	c := &centralClients{activity: apitransport.NewActivity(e.logger), base: rest.CopyConfig(rc), oneOffConfig: rc}
	rc.Wrap(c.activity.WrapTransport)
	// Informers' requests are answered within 5 s of the API server's
	// return.
	c.gate = apitransport.NewGate(500*time.Millisecond, 5*time.Second)
	held := rest.CopyConfig(c.base)
	held.Wrap(c.activity.WrapHeldTransport(c.gate, false))
	if c.held, err = typedClient(held); err != nil {
		return nil, err
	}
	if c.oneOff, err = typedClient(rc); err != nil {
		return nil, err
	}
	if c.dyn, err = dynamic.NewForConfig(held); err != nil {
		return nil, fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	if c.disc, err = discoveryClient(rc); err != nil {
		return nil, err
	}
	return c, nil
}

// centralRun is what starting a source needs and what it fills.
type centralRun struct {
	ctx, bgCtx context.Context
	background *sync.WaitGroup
	e          *environment
	clients    *centralClients
	inf        *kube.Informers
	watches    *kube.Watches
	deps       *collector.Deps
	stops      []func()
}

// stopAll stops what the sources started, last first.
func (r *centralRun) stopAll() {
	for _, stop := range slices.Backward(r.stops) {
		stop()
	}
}

// runWatch runs a CRD watcher in the background and lists it with the
// informers.
func (r *centralRun) runWatch(w interface {
	cluster.StatusReporter
	Run(context.Context)
}) error {
	r.background.Go(func() { w.Run(r.bgCtx) })
	r.watches.Add(w)
	return nil
}

func (r *centralRun) startHelm() error {
	hc := rest.CopyConfig(r.clients.base)
	hc.Wrap(r.clients.activity.WrapHeldTransport(r.clients.gate, true))
	mc, err := metadata.NewForConfig(hc)
	if err != nil {
		return fmt.Errorf("kubernetes metadata client: %w", err)
	}
	helm, err := kube.NewHelm(mc, r.e.cfg.ResyncPeriod, r.e.logger)
	if err != nil {
		return err
	}
	r.stops = append(r.stops, helm.Start(r.ctx))
	r.watches.Add(helm)
	r.deps.Helm = helm
	return nil
}

func (r *centralRun) startEtcd() error {
	var err error
	r.deps.Etcd, r.deps.EtcdJudgement, err = startEtcd(r.ctx, r.e)
	return err
}

func (r *centralRun) startStorage() error {
	storage := etcd.NewStorageMonitor(kube.APIServerMetrics(r.clients.oneOff), r.e.cfg.EtcdPollInterval, r.e.logger.With("collector", "apiserver_storage"))
	go storage.Run(r.ctx)
	r.deps.Storage = storage
	return nil
}

func (r *centralRun) startTLSProber() error {
	ca, err := clusterCA(r.clients.base)
	if err != nil {
		return err
	}
	r.deps.Certs, err = startCertProber(r.ctx, r.e, r.inf, r.deps.Gateway, r.deps.APIServices, r.clients.oneOff,
		certs.APIServer(r.e.cfg.Kubeconfig == "", r.clients.base.Host, ca))
	return err
}
