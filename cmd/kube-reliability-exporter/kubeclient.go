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

// protobuf asks for protobuf (JSON remains the fallback) for built-in
// resources: a third of the bytes on the wire and of the decoding work
// for the initial lists of 150,000 pods. CRDs (dynamic, metadata clients)
// speak JSON only.
func protobuf(rc *rest.Config) *rest.Config {
	pc := rest.CopyConfig(rc)
	pc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	pc.ContentType = "application/vnd.kubernetes.protobuf"
	return pc
}
