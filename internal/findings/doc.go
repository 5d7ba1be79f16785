// Package findings holds the reliability rules both modes apply: from
// the analyzers' results, what is wrong, with a severity, on which object.
// Audit reports them for manifests; central and demo weigh the same
// findings of the live cluster into the reliability score.
//
// Analysis: it never imports client-go, the network or a collector.
package findings
