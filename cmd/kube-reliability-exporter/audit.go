//go:build !agentonly

package main

import (
	"context"

	"github.com/prometheus/common/version"

	"github.com/kube-reliability/kube-reliability-exporter/internal/audit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
	"github.com/kube-reliability/kube-reliability-exporter/internal/manifest"
)

func runAudit(_ context.Context, e *environment) error {
	if len(e.args) == 0 {
		return usageError{"audit needs at least one file or directory (see audit --help)"}
	}
	failOn, err := audit.ParseSeverity(e.cfg.AuditFailOn)
	if err != nil {
		return &config.Error{Key: config.Key("AUDIT_FAIL_ON"), Value: e.cfg.AuditFailOn, Err: err}
	}
	manifest.HelmValues = e.cfg.AuditHelmValues
	manifest.HelmRelease = chart.Release{Name: e.cfg.AuditHelmRelease, Namespace: e.cfg.AuditHelmNamespace}
	r := audit.Run(e.args, e.cfg.ExcludedNamespaces, healthConfig(e))
	if err := r.WriteVersion(e.stdout, e.cfg.AuditFormat, version.Version); err != nil {
		return err
	}
	if r.Failed(failOn, e.cfg.AuditMinScore) {
		return findingsError{}
	}
	return nil
}
