package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/prometheus/common/version"
)

// A build without -ldflags (go run, go build, go install) still says
// what it is: the module version go install stamps, or "devel".
func init() {
	if version.Version == "" {
		version.Version = moduleVersion()
	}
}

func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func runVersion(_ context.Context, e *environment) error {
	_, err := fmt.Fprintln(e.stdout, version.Print("kube-reliability-exporter"))
	return err
}
