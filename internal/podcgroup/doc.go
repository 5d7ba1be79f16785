// Package podcgroup tells which Kubernetes pod a process runs in from its
// /proc/<pid>/cgroup: the kubelet puts every pod's containers under a
// cgroup named after the pod's UID, with either cgroup driver.
//
// A source helper for the agent: it never imports a collector.
package podcgroup
