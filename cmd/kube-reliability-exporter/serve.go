package main

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
	"github.com/kube-reliability/kube-reliability-exporter/internal/server"
)

// selectCollectors applies RELIABILITY_COLLECTORS_ENABLED/DISABLED, before
// anything starts, so a typo fails fast with exit 2.
func selectCollectors(e *environment, mode collector.Mode) ([]*collector.Spec, error) {
	if _, err := collector.Select(mode, e.cfg.CollectorsEnabled, nil); err != nil {
		return nil, &config.Error{Key: config.Key("COLLECTORS_ENABLED"), Value: strings.Join(e.cfg.CollectorsEnabled, ","), Err: err}
	}
	specs, err := collector.Select(mode, e.cfg.CollectorsEnabled, e.cfg.CollectorsDisabled)
	if err != nil {
		return nil, &config.Error{Key: config.Key("COLLECTORS_DISABLED"), Value: strings.Join(e.cfg.CollectorsDisabled, ","), Err: err}
	}
	return specs, nil
}

// serve builds the selected collectors over deps and serves them until ctx
// is done. It is shared by every mode that serves /metrics.
func serve(ctx context.Context, e *environment, mode collector.Mode, specs []*collector.Spec, address string, deps collector.Deps, ready func() error) error {
	set, err := collector.NewSet(specs, deps, e.cfg.CollectorTimeout)
	if errors.Is(err, collector.ErrHypothesesFile) {
		return &config.Error{Key: config.Key("HYPOTHESES_FILE"), Value: deps.HypothesesFile, Err: err}
	}
	if errors.Is(err, collector.ErrExemptionsFile) {
		return &config.Error{Key: config.Key("EXEMPTIONS_FILE"), Value: deps.ExemptionsFile, Err: err}
	}
	if err != nil {
		return err
	}
	h, err := server.Handler(server.Options{
		Logger: e.logger, Mode: mode.String(), Collectors: set,
		ExporterMetrics:     e.cfg.ExporterMetrics,
		Pprof:               e.cfg.DebugPprof,
		MaxRequestsInFlight: e.cfg.MaxRequestsInFlight,
		Ready:               ready,
		Hypotheses:          hypotheses(set),
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		return &config.Error{Key: config.Key("LISTEN_ADDRESS"), Value: address, Err: err}
	}
	e.logger.Info("listening", "endpoint", "http://"+l.Addr().String()+"/metrics", "collectors", len(specs))
	if e.started != nil {
		e.started(l.Addr().String())
	}
	return server.Serve(ctx, l, h, e.cfg.WebConfigFile, e.logger)
}

// hypotheses is the Set's evaluator as the server wants it: nil (no
// endpoint) when the hypotheses collector is disabled.
func hypotheses(set *collector.Set) server.Hypotheses {
	if h := set.Hypotheses(); h != nil {
		return h
	}
	return nil
}

// settings are the collectors' settings from the environment, the same
// in every mode (each mode's collectors read the ones they need).
func settings(e *environment) collector.Settings {
	return collector.Settings{ExcludedNamespaces: e.cfg.ExcludedNamespaces, HealthConfig: healthConfig(e),
		StubStatusTimeout: e.cfg.NginxStubStatusTimeout, EtcdDataDir: e.cfg.EtcdDataDir,
		HypothesesFile: e.cfg.HypothesesFile, OwnerLabels: e.cfg.OwnerLabels, ExemptionsFile: e.cfg.ExemptionsFile,
		AnalysisMinInterval: e.cfg.AnalysisMinInterval, ScrapeWait: e.cfg.ScrapeWait}
}
