// Package versiontable reads the exporter's versioned tables of known
// problems: which releases of a component (etcd, an ingress or gateway
// controller) carry a vulnerability, a data-loss or consistency bug, are
// past end of life or retired, each row with its source.
//
// A table is YAML embedded by the package that owns the component; Parse
// checks it strictly (ranges that parse and are ordered, unique ids, a
// severity, a summary and an https source on every row, fixed versions
// outside the affected ranges), so a row without a source never ships.
//
// It never reads a cluster and never imports anything else of the exporter.
package versiontable
