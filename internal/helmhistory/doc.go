// Package helmhistory counts the revisions Helm keeps per release: Helm 3
// stores one Secret (or ConfigMap) per revision labelled owner=helm,
// name=<release>, version=<n>; Helm 2's Tiller one ConfigMap labelled
// OWNER=TILLER, NAME=<release>. Nobody limits that history by default in
// Helm 2, and each revision holds the whole rendered release, so it grows
// without bound in etcd.
//
// The input is object metadata only: the exporter never reads a release's
// data, so a revision's size in bytes cannot be known and is not reported.
package helmhistory
