package etcd

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// StorageSize is the etcd database size an API server reports for one of
// its storage backends: the managed-cluster view, where etcd itself is
// out of reach.
type StorageSize struct {
	// Cluster is the storage_cluster_id label (1.28+), or the etcd
	// endpoint's host:port for the older metric names.
	Cluster string
	Bytes   float64
}

// storageMetrics are the API server's names for the etcd database size,
// newest first, with the label that identifies the backend.
var storageMetrics = []struct{ name, label string }{
	{"apiserver_storage_size_bytes", "storage_cluster_id"},   // 1.28+
	{"apiserver_storage_db_total_size_in_bytes", "endpoint"}, // 1.26-1.27
	{"etcd_db_total_size_in_bytes", "endpoint"},              // before 1.26
}

// DeprecatedAPI is a deprecated API some client requested since the API
// server started (apiserver_requested_deprecated_apis).
type DeprecatedAPI struct {
	Group, Version, Resource, Subresource string
	// RemovedRelease is the minor ("1.38") that stops serving it; empty
	// when no removal is scheduled.
	RemovedRelease string
}

// APIServerFacts is what the same read of the API server's /metrics says
// besides the database sizes.
type APIServerFacts struct {
	Deprecated []DeprecatedAPI
}

// ParseStorageSizes reads an API server's /metrics (callers bound r) and
// returns the database sizes under the newest metric name present.
func ParseStorageSizes(r io.Reader) ([]StorageSize, error) {
	sizes, _, err := ParseAPIServerMetrics(r)
	return sizes, err
}

// ParseAPIServerMetrics reads an API server's /metrics (callers bound r):
// the database sizes under the newest metric name present and the
// deprecated APIs requested.
func ParseAPIServerMetrics(r io.Reader) ([]StorageSize, APIServerFacts, error) {
	found := map[string][]StorageSize{}
	var facts APIServerFacts
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if labels, ok := labelsOf(line, "apiserver_requested_deprecated_apis"); ok {
			if len(facts.Deprecated) < maxDeprecatedAPIs {
				facts.Deprecated = append(facts.Deprecated, DeprecatedAPI{
					Group: labelValue(labels, "group"), Version: labelValue(labels, "version"),
					Resource: labelValue(labels, "resource"), Subresource: labelValue(labels, "subresource"),
					RemovedRelease: labelValue(labels, "removed_release"),
				})
			}
			continue
		}
		for _, m := range storageMetrics {
			rest, ok := strings.CutPrefix(line, m.name)
			if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
				continue
			}
			labels, value := "", strings.TrimSpace(rest)
			if rest[0] == '{' {
				end := strings.LastIndexByte(rest, '}')
				if end < 0 {
					return nil, facts, fmt.Errorf("%s: unterminated labels", m.name)
				}
				labels, value = rest[1:end], strings.TrimSpace(rest[end+1:])
			}
			fields := strings.Fields(value)
			if len(fields) == 0 {
				return nil, facts, fmt.Errorf("%s: no value", m.name)
			}
			v, err := strconv.ParseFloat(fields[0], 64)
			if err != nil || v < 0 {
				return nil, facts, fmt.Errorf("%s: value %q", m.name, fields[0])
			}
			id := labelValue(labels, m.label)
			if m.label == "endpoint" {
				if u, err := url.Parse(id); err == nil && u.Host != "" {
					id = u.Host // a URL is not a label value; host:port is
				}
			}
			found[m.name] = append(found[m.name], StorageSize{Cluster: id, Bytes: v})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, facts, fmt.Errorf("read API server /metrics: %w", err)
	}
	for _, m := range storageMetrics {
		if s := found[m.name]; len(s) > 0 {
			return s, facts, nil
		}
	}
	return nil, facts, nil
}

// maxDeprecatedAPIs bounds what a hostile or broken /metrics can make the
// exporter hold and export: a real server serves a few dozen deprecated
// resources at most.
const maxDeprecatedAPIs = 512

// labelsOf returns the label list of a sample line of metric name.
func labelsOf(line, name string) (string, bool) {
	rest, ok := strings.CutPrefix(line, name)
	if !ok || rest == "" || rest[0] != '{' {
		return "", false
	}
	end := strings.LastIndexByte(rest, '}')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// labelValue extracts one label's value from a Prometheus label list.
func labelValue(labels, name string) string {
	for len(labels) > 0 {
		eq := strings.IndexByte(labels, '=')
		if eq < 0 || eq+1 >= len(labels) || labels[eq+1] != '"' {
			return ""
		}
		key := strings.TrimSpace(strings.TrimPrefix(labels[:eq], ","))
		rest := labels[eq+2:]
		var val strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
			}
			val.WriteByte(rest[i])
		}
		if key == name {
			return val.String()
		}
		if i+1 >= len(rest) {
			return ""
		}
		labels = rest[i+1:]
	}
	return ""
}
