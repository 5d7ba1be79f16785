//go:build nodemo && !agentonly

package main

import "context"

// The central image's binary (go build -tags nodemo) leaves demo mode out:
// its embedded etcd server and fake clientset are code a cluster never
// runs, and their pages count in central's resident memory
// (bench/scale).
func runDemo(context.Context, *environment) error {
	return usageError{"this build has no demo mode: run it from the source tree (make demo)"}
}
