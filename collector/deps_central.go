//go:build !agentonly

package collector

import (
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
)

// ClusterSource hands out the cluster snapshot the analyses read.
type ClusterSource = cluster.Source

// FindingsSink is handed the live findings and the accepted ones each
// time the score collector computes them.
type FindingsSink = func(active, ignored []findings.Finding)

// HealthConfig is how health checks are recognised.
type HealthConfig = healthcheck.Config
