// Package versioncheck finds the versions a cluster runs: each node's
// kubelet and kube-proxy (judged against the API server's by the version
// skew policy) and the ingress and gateway controllers its workloads run
// (judged against internal/controllerversions' table).
//
// It is an analysis: it reads a cluster snapshot and never calls the API
// server.
package versioncheck
