package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/ingress"
	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/host"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/memlimit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/targets"
	"k8s.io/client-go/metadata"
)

func runAgent(ctx context.Context, e *environment) error {
	if len(e.args) > 0 {
		return usageError{fmt.Sprintf("agent takes no arguments, got %q", e.args)}
	}
	specs, err := selectCollectors(e, collector.Agent)
	if err != nil {
		return err
	}
	memlimit.SetGCPercent(agentGCPercent)
	// With hostPID, /proc/1 is the host's init, whose mount namespace and
	// root are the host's.
	r := host.Resolver{ProcRoot: e.cfg.ProcRoot, SysRoot: e.cfg.SysRoot, PID: e.cfg.HostPid}
	tracker := ingress.NewTracker(e.cfg.ProcRoot, nil)
	// One sample before serving: until then the node's nginx are unknown
	// and the collector would fail its first scrapes. (A failure is
	// counted and retried every interval.)
	_ = tracker.Sample()
	go tracker.Run(ctx, e.cfg.NginxSampleInterval)
	go releaseExecutablePagesEvery(ctx, e.logger, agentPagesAfter, agentPagesEvery)
	stub, err := targets.Parse("stub_status URL", e.cfg.NginxStubStatusUrls)
	if err != nil {
		return err // Validate has checked already
	}
	watches := &kube.Watches{Activity: apitransport.NewActivity(e.logger)}
	deps := collector.Deps{Logger: e.logger, Disk: r, Nginx: tracker, StubStatus: stub, Status: watches, Settings: settings(e)}
	if e.cfg.NodeName != "" {
		pods, err := nodePods(e, watches.Activity)
		if err != nil {
			return err
		}
		defer pods.Start(ctx)()
		watches.Add(pods)
		deps.NodePods = pods
	}
	return serve(ctx, e, collector.Agent, specs, e.cfg.ListenAddress, deps, nil)
}

// nodePods watches this node's pods, so nginx instances can be named
// after theirs. The agent stays useful without the API: it serves /proc
// truths either way, and ready does not wait for this watch.
func nodePods(e *environment, activity *apitransport.Activity) (*kube.NodePods, error) {
	rc, err := restConfig(e)
	if err != nil {
		return nil, err
	}
	// One agent per node: while the API server is down or refusing, each
	// sends a request every 10–20 s, and 5,000 of them come back spread
	// over those seconds rather than at once.
	rc.Wrap(activity.WrapHeldTransport(apitransport.NewGate(time.Second, 20*time.Second), false))
	client, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes metadata client: %w", err)
	}
	return kube.NewNodePods(client, e.cfg.NodeName, e.logger.With("collector", "nginx"))
}
