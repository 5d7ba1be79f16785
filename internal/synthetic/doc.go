// Package synthetic builds cluster snapshots shaped like the design target
// for the analysis benchmarks: the same input for every analyzer, so their
// costs add up.
//
// For tests and benchmarks only: production code never imports it.
package synthetic
