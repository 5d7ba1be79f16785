//go:build !agentonly

package main

import (
	"fmt"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// typedClient is a clientset for built-in resources that asks for
// protobuf.
func typedClient(rc *rest.Config) (*kubernetes.Clientset, error) {
	c, err := kubernetes.NewForConfig(protobuf(rc))
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
