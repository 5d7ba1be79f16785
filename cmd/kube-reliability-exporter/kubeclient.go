package main

import (
	"fmt"
	"time"

	"k8s.io/client-go/discovery"

	"k8s.io/client-go/kubernetes"
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

// typedClient is a clientset for built-in resources that asks for
// protobuf (JSON remains the fallback): a third of the bytes on the wire
// and of the decoding work for the initial lists of 150,000 pods. CRDs
// (dynamic, metadata clients) speak JSON only.
func typedClient(rc *rest.Config) (*kubernetes.Clientset, error) {
	pc := rest.CopyConfig(rc)
	pc.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	pc.ContentType = "application/vnd.kubernetes.protobuf"
	c, err := kubernetes.NewForConfig(pc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return c, nil
}

// discoveryTimeout bounds one discovery request: discovery calls take no
// context, and a hung API server must not hang the loop that asks.
const discoveryTimeout = 15 * time.Second

// discoveryClient is a discovery client whose requests time out.
func discoveryClient(rc *rest.Config) (*discovery.DiscoveryClient, error) {
	dc := rest.CopyConfig(rc)
	dc.Timeout = discoveryTimeout
	c, err := discovery.NewDiscoveryClientForConfig(dc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes discovery client: %w", err)
	}
	return c, nil
}
