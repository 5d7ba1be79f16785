// Package testenv starts the real parts the tests run against, on loopback
// only: an embedded etcd (go.etcd.io/etcd/server/v3/embed) and a real
// kube-apiserver built from the k8s.io/kubernetes Go module, with RBAC on,
// plus optionally kube-controller-manager.
//
// The binaries are built once by hack/test-binaries.sh (make testbins) into
// a cache outside the repository keyed by Kubernetes version; BinDir finds
// them. A test that needs them and cannot find or start them fails with the
// reason: it never skips, so a broken environment is never a green run.
//
// Start returns an Env with an admin rest.Config and clientset, and
// ServiceAccountConfig hands out a config that authenticates as a given
// ServiceAccount, so tests can prove least-privilege RBAC. The helpers in
// objects.go create Nodes, workloads and Pods and set Pod status through the
// status subresource, as a kubelet would (there is no kubelet).
package testenv
