// Package sourcestatus is how the exporter's background sources (informers,
// pollers) report their health, and the errors that say a value is not
// known yet. internal/cluster aliases these names; the agent links this
// package without the cluster snapshot.
//
// It never imports an API group's types nor anything else of the exporter:
// the agent's binary links it on every node.
package sourcestatus
