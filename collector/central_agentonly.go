//go:build agentonly

package collector

// The agent-only build links agent mode's collectors alone: central's
// (the analyses, the capacity simulation, the sources they read) and the
// packages they import (the cluster snapshot, every API group's types)
// never run on a node, and their code would be resident on every one.

// All lists the collectors of this build.
var All = agentSpecs

// centralOnly is the type of Deps' fields for central's sources in this
// build: nothing here implements it, so those fields stay nil. Deps keeps
// one shape in every build.
type centralOnly interface{ centralOnlySource() }

// Central's sources, absent from this build.
type (
	ClusterSource     = centralOnly
	HelmSource        = centralOnly
	EtcdSource        = centralOnly
	StorageSource     = centralOnly
	GatewaySource     = centralOnly
	HealthSource      = centralOnly
	CertSource        = centralOnly
	APIServiceSource  = centralOnly
	CertManagerSource = centralOnly
	FindingsSink      = centralOnly
)

// HealthConfig: health checks are recognised by central's collectors only.
type HealthConfig struct{}

func newHypotheses(d Deps) *Hypotheses { return &Hypotheses{now: d.now} }
