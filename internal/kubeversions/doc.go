// Package kubeversions holds what the exporter knows of Kubernetes
// releases (kubernetes.yaml): each minor's end of life, the API versions
// removed or scheduled for removal with their replacements, and the
// version skew policy between the API server and the kubelets and
// kube-proxies. Audit (API versions in files) and the live signals (the
// API server's own count of deprecated requests, node versions) read the
// same table.
//
// It never reads a cluster and never imports anything else of the exporter
// but internal/versiontable.
package kubeversions
