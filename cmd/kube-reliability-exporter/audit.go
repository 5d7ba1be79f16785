//go:build !agentonly

package main

import (
	"context"
	"os"

	"github.com/prometheus/common/version"

	"github.com/kube-reliability/kube-reliability-exporter/internal/audit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
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
	exemptions, err := readExemptions(e)
	if err != nil {
		return err
	}
	r := audit.RunWith(e.args, audit.Options{Excluded: e.cfg.ExcludedNamespaces, Health: healthConfig(e), Exemptions: exemptions})
	if err := r.WriteVersion(e.stdout, e.cfg.AuditFormat, version.Version); err != nil {
		return err
	}
	if r.Failed(failOn, e.cfg.AuditMinScore) {
		return findingsError{}
	}
	return nil
}

// readExemptions reads RELIABILITY_EXEMPTIONS_FILE (none when unset); an
// unreadable or wrong file is a setting's error, before anything starts.
func readExemptions(e *environment) ([]findings.Exemption, error) {
	if e.cfg.ExemptionsFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(e.cfg.ExemptionsFile)
	var ex []findings.Exemption
	if err == nil {
		ex, err = findings.ParseExemptions(data)
	}
	if err != nil {
		return nil, &config.Error{Key: config.Key("EXEMPTIONS_FILE"), Value: e.cfg.ExemptionsFile, Err: err}
	}
	return ex, nil
}
