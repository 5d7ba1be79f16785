// Package ingress measures nginx on a node from the host's /proc: every
// nginx master, its workers, reloads (a new generation of workers under
// the same master), the client connections held by workers that are
// shutting down after a reload, and the connections those reloads dropped
// (still open in a shutting-down worker when it exited or was
// force-closed by worker_shutdown_timeout).
//
// Sampler takes samples (Scan) and Tracker turns consecutive samples into
// counts. Parsers (stat, net/tcp) take bytes and are fuzzed.
//
// A source (the agent's view of nginx): it never imports a collector or client-go.
package ingress
