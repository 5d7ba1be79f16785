//go:build !agentonly

package collector

import (
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
)

// ClusterSource hands out the cluster snapshot the analyses read.
type ClusterSource = cluster.Source

// HealthConfig is how health checks are recognised.
type HealthConfig = healthcheck.Config
