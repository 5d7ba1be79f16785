// Package etcd judges etcd members: which versions run (drift across a
// cluster), whether any is below the configured minimum, and which known
// issues (the versioned table in known-issues.yaml) affect them.
//
// Version parses server versions; KnownIssues loads the table; Judge turns
// the versions a cluster reports into a Verdict. Poller polls each member
// (client/v3 Status and AlarmList, the served certificate, /metrics for the
// quota of members older than 3.6) under a deadline, re-reading its TLS
// files when they are rotated, and Monitor runs it in the background.
// StorageMonitor reads the database size the API server reports on its own
// /metrics (the managed-cluster view, where etcd is out of reach), through
// the GET it is given: every database size read is here.
// Member types (member.go) are shared with the agent's build, which links
// no etcd client; the data disk's counters are internal/host's.
//
// A source: it never imports a collector, and analysis packages never import it.
package etcd
