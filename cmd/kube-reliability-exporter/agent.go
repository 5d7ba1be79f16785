package main

import (
	"context"
	"fmt"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/ingress"
	"github.com/kube-reliability/kube-reliability-exporter/internal/host"
)

func runAgent(ctx context.Context, e *environment) error {
	if len(e.args) > 0 {
		return usageError{fmt.Sprintf("agent takes no arguments, got %q", e.args)}
	}
	specs, err := selectCollectors(e, collector.Agent)
	if err != nil {
		return err
	}
	// With hostPID, /proc/1 is the host's init, whose mount namespace and
	// root are the host's.
	r := host.Resolver{ProcRoot: e.cfg.ProcRoot, SysRoot: e.cfg.SysRoot, PID: e.cfg.HostPid}
	tracker := ingress.NewTracker(e.cfg.ProcRoot, nil)
	go tracker.Run(ctx, e.cfg.NginxSampleInterval)
	deps := collector.Deps{Logger: e.logger, Disk: r, EtcdDataDir: e.cfg.EtcdDataDir, Nginx: tracker}
	return serve(ctx, e, collector.Agent, specs, e.cfg.ListenAddress, deps, nil)
}
