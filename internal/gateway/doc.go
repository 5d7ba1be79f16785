// Package gateway summarizes the Gateway API objects of a cluster:
// GatewayClasses by the controller that serves them, and how many
// Gateways each class serves and HTTPRoutes exist. Unlike Ingress, the
// Gateway API is a set of CRDs a cluster may not have: the watcher in
// internal/kube starts watching once they appear, and until then nothing is
// known, so nothing is exported.
//
// Analysis: it never imports client-go, the network, a source or a collector.
package gateway
