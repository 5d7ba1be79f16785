// Package cluster holds the analyzers' input: a typed, trimmed, read-only
// snapshot of the cluster objects analysis needs.
//
// Three sources fill a Snapshot — the informer caches in central mode
// (internal/kube), manifest files in audit mode (internal/manifest) and the
// bundled example cluster in demo mode (internal/demo) — so every mode runs
// the same analysis code. A Source hands out the latest Snapshot together with
// a generation number that changes whenever any object changes, so expensive
// analysis can be cached until the cluster actually moves.
package cluster
