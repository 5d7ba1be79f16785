// Package targets parses the configured lists of things to read over HTTP
// ("[name=]http(s)://host:port/path"): etcd members, nginx stub_status
// pages. The name labels the target's series.
//
// Parsing only: it never dials.
package targets
