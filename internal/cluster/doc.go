// Package cluster holds the analyzers' input: a typed, trimmed, read-only
// snapshot of the cluster objects analysis needs.
//
// Three sources fill a Snapshot — the informer caches in central mode
// (internal/kube), manifest files in audit mode (internal/manifest) and the
// bundled example cluster in demo mode (internal/demo) — so every mode runs
// the same analysis code. A Source hands out the latest Snapshot together with
// a generation number that changes whenever any object changes, so expensive
// analysis can be cached until the cluster actually moves.
//
// Every kind the exporter reads is declared once, in Kinds (kinds.go): its
// API path, scope, whether every analysis needs it, how its objects are
// trimmed for the informer cache (trim.go) and which snapshot field holds
// them. The informers, manifest decoding and audit's identities are built
// from that table; a new kind is a line there and a field in Snapshot.
package cluster
