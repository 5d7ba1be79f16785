// Package policyreport turns findings into the wgpolicyk8s.io/v1alpha2
// PolicyReports (one per namespace) and ClusterPolicyReport that Kyverno's
// Policy Reporter and the other readers of that API show: audit writes
// them as YAML, central keeps them current in the cluster when asked to.
//
// An analysis: it never talks to the API server.
package policyreport
