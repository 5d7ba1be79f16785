package main

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// restConfig is the API client configuration: a kubeconfig file, or the
// in-cluster service account.
func restConfig(e *environment) (*rest.Config, error) {
	var rc *rest.Config
	var err error
	if e.cfg.Kubeconfig != "" {
		rc, err = clientcmd.BuildConfigFromFlags("", e.cfg.Kubeconfig)
	} else {
		rc, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	rc.QPS, rc.Burst = e.cfg.KubeApiQps, e.cfg.KubeApiBurst
	rc.UserAgent = "kube-reliability-exporter"
	return rc, nil
}
