// Package testenv starts the real parts the tests run against, on loopback
// only: an embedded etcd (go.etcd.io/etcd/server/v3/embed) and a real
// kube-apiserver built from the k8s.io/kubernetes Go module, with RBAC on,
// plus optionally kube-controller-manager, kube-scheduler and a kubelet
// stand-in: a control plane that schedules.
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
//
// A cluster that behaves like one (StartControllerManager, StartScheduler,
// StartKubelet): the real scheduler binds pods, honouring requests,
// extended resources, selectors, affinity, spread, taints and PersistentVolume
// node affinity, and says why it cannot place one in the pod's PodScheduled
// condition; the stand-in reports bound pods Running and Ready on loopback
// IPs and finishes deletions at once. What it does not do: no heartbeats, so
// no node lifecycle controller (a node never turns NotReady and NoExecute
// taints never evict; tolerationSeconds are not waited out), no pod garbage
// collection of a deleted node's pods within a test's time (delete them, as
// the collector would after its quarantine), no volumes attached, no probes.
package testenv
