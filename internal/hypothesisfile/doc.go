// Package hypothesisfile reads user-defined steady-state hypotheses: named
// selections over the exporter's own metric families (a family, label
// matchers, an aggregation, a comparison and a threshold), validated
// against the families the exporter serves, with errors that name the
// file, the line and the problem.
//
// Analysis: it never imports client-go, the network or a collector.
package hypothesisfile
