// Package etcd judges etcd members: which versions run (drift across a
// cluster), whether any is below the configured minimum, and which known
// issues (the versioned table in known-issues.yaml) affect them.
//
// Version parses server versions; KnownIssues loads the table; Judge turns
// the versions a cluster reports into a Verdict. Polling the members
// (client/v3) and reading data-disk counters arrive with the etcd collector.
package etcd
