// Command kube-controller-manager is the upstream controller manager, built
// from the k8s.io/kubernetes Go module; tests that need Deployment ->
// ReplicaSet -> Pod or PDB status start it next to the API server.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
