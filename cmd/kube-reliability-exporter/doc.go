// Command kube-reliability-exporter exports what decides whether a
// Kubernetes cluster survives its next bad day, as Prometheus metrics.
//
// One binary, several modes (kube-reliability-exporter <mode>; --help lists
// every RELIABILITY_* variable of a mode):
//
//   - central: a Deployment watching the cluster through the API server;
//   - agent: a DaemonSet reading each node's /proc and /sys;
//   - audit: the same analyses over manifest files, for CI;
//   - demo: central over a bundled example cluster, no cluster needed;
//   - version.
//
// The image ships two builds: central's without demo mode (-tags nodemo)
// and the agent's without central's code (-tags agentonly).
//
// The one package that wires sources, analyses, collectors and the server together: never imported by another package.
package main
