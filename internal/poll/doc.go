// Package poll runs background polls: a source that is slow or remote
// (etcd members, the API server's /metrics) is read on a schedule and
// scrapes serve its last result, so neither scrape frequency nor an HA pair
// of Prometheus servers multiplies the load on it.
//
// A helper for sources: it never imports a collector or an analysis package.
package poll
