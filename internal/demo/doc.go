// Package demo holds the bundled example cluster that demo mode serves:
// nodes in zones and workloads showing each failure mode the exporter
// measures (snapshot/cluster.json, written by hack/gen-demo-cluster.py).
// Client returns a client-go fake clientset holding it, so demo runs the
// very informer and analyzer code that central runs against a real API
// server.
//
// It serves a fixed snapshot and never talks to a real cluster.
package demo
