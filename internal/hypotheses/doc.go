// Package hypotheses holds what a steady-state hypothesis answers: the
// verdict chaos tools read over HTTP (/hypotheses) and Litmus reads as
// kube_reliability_hypothesis_holds. The collector computes answers from
// the analyses it caches; the server serves them; neither imports the
// other, both import this.
//
// Analysis: it never imports client-go, the network, a source or a
// collector.
package hypotheses
