// Package score weighs findings into a 0–100 reliability score per
// namespace and for the cluster, the same in live metrics and in audit:
//
//	score = 100 × W / (W + P)
//
// W is the number of workloads (Deployments, StatefulSets, DaemonSets,
// unowned ReplicaSets and bare pods; at least 1) and P the sum of the
// findings' weights: info 0.25, warning 1, critical 4. Findings are per
// object, so a rule that hits five workloads weighs five times. A
// namespace without findings scores 100; one warning per workload scores
// 50; the score nears 0 as findings pile up, and never goes below it.
// Rounded to one decimal.
//
// Analysis: it never imports client-go, the network or a collector.
package score
