// Package scale measures what central costs at the Kubernetes envelope, on
// a real kube-apiserver filled to 1k-150k pods (hack/bench-scale.sh, make
// bench-scale). It is a benchmark: go test runs it only with -bench.
//
// Tests only: never imported by another package.
package scale
