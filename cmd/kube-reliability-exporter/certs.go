//go:build !agentonly

package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/tlsprobe"
)

// startCertProber probes the TLS hosts the cluster's objects name in the
// background, starting once the caches have synced (discovery needs
// them); nil when RELIABILITY_TLS_PROBE is off.
func startCertProber(ctx context.Context, e *environment, src cluster.Source, gw collector.GatewaySource, as collector.APIServiceSource,
	client kubernetes.Interface, apiServer certs.Target) (collector.CertSource, error) {
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
	logger := e.logger.With("collector", "certificates")
	p := tlsprobe.NewProber(tlsprobe.Config{
		Interval: e.cfg.TLSProbeInterval, Timeout: e.cfg.TLSProbeTimeout,
		Concurrency: e.cfg.TLSProbeConcurrency, PerSecond: e.cfg.TLSProbesPerSecond, Roots: roots,
	}, logger)
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
		p.Run(ctx, func(ctx context.Context) certs.Discovery {
			snap, err := src.Snapshot()
			if err != nil {
				return certs.Discovery{}
			}
			var apis []certs.APIService
			if as != nil {
				apis, _ = as.APIServices() // not synced yet: the next round has them
			}
			cp, errs := certs.ControlPlane(ctx, certs.Targets(certs.Webhooks(snap), apis, apiServer), kube.NewServiceEndpoints(client, snap))
			for ref, err := range errs {
				logger.Warn("cannot resolve the endpoints of a TLS server", "service", ref.String(), "err", err)
			}
			return certs.Compose(certs.Discover(snap), collector.TLSListeners(gw), cp)
		})
	}()
	return p, nil
}

// clusterCA is the CA the API client trusts: the API server's certificate
// is verified against it. Nil without one (the configured roots then).
func clusterCA(rc *rest.Config) ([]byte, error) {
	if len(rc.CAData) > 0 || rc.CAFile == "" {
		return rc.CAData, nil
	}
	b, err := os.ReadFile(rc.CAFile)
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	return b, nil
}
