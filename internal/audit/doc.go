// Package audit turns analysis results over manifests into findings with a
// severity and a source location, and prints them as text or JSON. It runs
// the same analyzers as central mode; only the input (internal/manifest)
// and the output differ.
//
// It never talks to a cluster or the network: manifests in, findings out.
package audit
