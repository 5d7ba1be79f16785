package etcd

import "github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"

// Version is an etcd server version, major.minor.patch; pre-release and
// build suffixes ("3.6.0-rc.1", "3.5.9+k3s1") are ignored for comparison.
type Version = versiontable.Version

// ParseVersion parses "3.5.9" or "v3.5.9" (with an optional suffix).
func ParseVersion(s string) (Version, error) { return versiontable.ParseVersion(s) }
