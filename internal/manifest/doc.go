// Package manifest decodes Kubernetes objects from files: multi-document
// YAML, JSON, List kinds and whole `kubectl get -A -o yaml` dumps. A
// malformed document becomes a *DecodeError naming its file and line; the
// other documents of the file are still decoded.
//
// Decode takes bytes (so it can be fuzzed); DecodePaths walks files and
// directories. Snapshot turns decoded objects into the analyzers' input.
//
// It never talks to a cluster: files in, objects out.
package manifest
