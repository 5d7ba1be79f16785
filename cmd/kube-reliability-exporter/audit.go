//go:build !agentonly

package main

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/internal/audit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
)

func runAudit(_ context.Context, e *environment) error {
	if len(e.args) == 0 {
		return usageError{"audit needs at least one file or directory (see audit --help)"}
	}
	failOn, err := audit.ParseSeverity(e.cfg.AuditFailOn)
	if err != nil {
		return &config.Error{Key: config.Key("AUDIT_FAIL_ON"), Value: e.cfg.AuditFailOn, Err: err}
	}
	r := audit.Run(e.args, e.cfg.ExcludedNamespaces, healthConfig(e))
	if err := r.Write(e.stdout, e.cfg.AuditFormat); err != nil {
		return err
	}
	if r.Failed(failOn, e.cfg.AuditMinScore) {
		return findingsError{}
	}
	return nil
}
