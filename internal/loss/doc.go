// Package loss answers the chaos engineer's first questions without
// breaking anything: what the loss of any one node, or any one zone, would
// take down. It reads the ready replicas' placement from the snapshot (no
// node or zone is removed and re-analysed: each workload's replicas per
// node and zone give every answer in one pass over the pods).
//
// Analysis: it never imports client-go, the network, a source or a collector.
package loss
