// Command kube-scheduler is the upstream scheduler, built from the
// k8s.io/kubernetes Go module; the prediction battery starts it next to the
// API server and controller manager so node and zone loss, capacity and
// drains are checked against the scheduler's own decisions.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	os.Exit(cli.Run(app.NewSchedulerCommand()))
}
