//go:build !agentonly

package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
)

// startCertProber probes the TLS hosts the cluster's objects name in the
// background, starting once the caches have synced (discovery needs
// them); nil when RELIABILITY_TLS_PROBE is off.
func startCertProber(ctx context.Context, e *environment, src cluster.Source, gw collector.GatewaySource) (collector.CertSource, error) {
	if !e.cfg.TLSProbe {
		return nil, nil
	}
	var roots *x509.CertPool
	if f := e.cfg.TLSProbeCAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, &config.Error{Key: config.Key("TLS_PROBE_CA_FILE"), Value: f, Err: err}
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, &config.Error{Key: config.Key("TLS_PROBE_CA_FILE"), Value: f, Err: fmt.Errorf("no PEM certificate in it")}
		}
	}
	p := certs.NewProber(certs.Config{
		Interval: e.cfg.TLSProbeInterval, Timeout: e.cfg.TLSProbeTimeout,
		Concurrency: e.cfg.TLSProbeConcurrency, PerSecond: e.cfg.TLSProbesPerSecond, Roots: roots,
	}, e.logger.With("collector", "certificates"))
	go func() {
		// The first round waits for the caches, not a whole interval.
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if _, err := src.Snapshot(); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		p.Run(ctx, func() []certs.Endpoint {
			snap, err := src.Snapshot()
			if err != nil {
				return nil
			}
			d := certs.Discover(snap)
			if gw != nil {
				if o, err := gw.Objects(); err == nil {
					d = d.Merge(certs.Gateways(o.TLSListeners))
				}
			}
			return d.Endpoints
		})
	}()
	return p, nil
}
