// Package disruption analyzes PodDisruptionBudgets the way the API server's
// eviction subresource and the disruption controller use them: which
// workloads no PDB covers (a drain takes all their replicas at once), which
// PDBs allow zero disruptions even when every pod is healthy (they block
// every node drain), and which pods more than one PDB selects (their
// evictions fail outright).
//
// Expected pods and desired healthy pods are computed as
// pkg/controller/disruption does: an integer minAvailable counts the
// selected pods; a percentage minAvailable or any maxUnavailable scales the
// sum of the selected pods' controllers' replicas, rounding up. Where the
// controller could not compute them (a selected pod's controller is a Job
// or unknown kind), the values are unknown and not reported. Analyzing
// manifests without pods (audit), selection is decided on pod templates.
//
// Analysis: it never imports client-go, the network, a source or a collector.
package disruption
