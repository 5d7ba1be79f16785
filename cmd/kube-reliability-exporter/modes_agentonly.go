//go:build agentonly

package main

import (
	"context"
	"fmt"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
)

// The agent image's binary (go build -tags agentonly) runs agent mode
// only: without central's and demo's code (demo's embedded etcd, the fake
// clientset) it maps half the memory (bench/agent-cost.txt).
func runCentral(context.Context, *environment) error { return agentOnly("central") }
func runAudit(context.Context, *environment) error   { return agentOnly("audit") }
func runDemo(context.Context, *environment) error    { return agentOnly("demo") }

// healthConfig: the agent recognises no health checks (central's
// collectors do).
func healthConfig(*environment) collector.HealthConfig { return collector.HealthConfig{} }

func agentOnly(mode string) error {
	return usageError{fmt.Sprintf("this is the agent-only build: %s mode is in kube-reliability-exporter", mode)}
}
