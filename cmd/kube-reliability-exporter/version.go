package main

import (
	"context"
	"fmt"

	"github.com/prometheus/common/version"
)

func runVersion(_ context.Context, e *environment) error {
	_, err := fmt.Fprintln(e.stdout, version.Print("kube-reliability-exporter"))
	return err
}
