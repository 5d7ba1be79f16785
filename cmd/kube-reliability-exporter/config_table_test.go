//go:build !agentonly && !nodemo

package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/config"
)

// freeForm are the variables whose every value is well-formed at start-up
// (paths, names, routes): what they name is checked where it is used,
// and reported there.
var freeForm = []string{
	"RELIABILITY_WEB_CONFIG_FILE", "RELIABILITY_HYPOTHESES_FILE", "RELIABILITY_KUBECONFIG", "RELIABILITY_EXCLUDED_NAMESPACES",
	"RELIABILITY_ETCD_CA_FILE", "RELIABILITY_ETCD_KEY_FILE", "RELIABILITY_HEALTH_LIVENESS_ROUTES", "RELIABILITY_HEALTH_READINESS_ROUTES",
	"RELIABILITY_TLS_PROBE_CA_FILE", "RELIABILITY_CLUSTER_DOMAIN", "RELIABILITY_PROC_ROOT", "RELIABILITY_SYS_ROOT", "RELIABILITY_NODE_NAME",
	"RELIABILITY_AUDIT_HELM_VALUES", "RELIABILITY_AUDIT_HELM_RELEASE", "RELIABILITY_AUDIT_HELM_NAMESPACE", "RELIABILITY_DEMO_SNAPSHOT",
}

// malformed are values a variable refuses beyond its type's.
var malformed = map[string]string{
	"RELIABILITY_EXEMPTIONS_FILE":           "/nonexistent/exemptions.yaml",
	"RELIABILITY_LISTEN_ADDRESS":            "nohost",
	"RELIABILITY_COLLECTORS_ENABLED":        "nope",
	"RELIABILITY_COLLECTORS_DISABLED":       "nope",
	"RELIABILITY_ETCD_ENDPOINTS":            "ftp://127.0.0.1:2379",
	"RELIABILITY_ETCD_CERT_FILE":            "/client.crt", // without the key
	"RELIABILITY_ETCD_OLDEST_MINOR":         "three",
	"RELIABILITY_ETCD_MINIMUM_VERSIONS":     "3.5.x",
	"RELIABILITY_HOST_PID":                  "init",
	"RELIABILITY_NGINX_STUB_STATUS_URLS":    "ftp://127.0.0.1/status",
	"RELIABILITY_ETCD_DATA_DIR":             "var/lib/etcd",
	"RELIABILITY_LOG_FORMAT":                "xml",
	"RELIABILITY_NGINX_STUB_STATUS_TIMEOUT": "-1s",
	"RELIABILITY_COLLECTOR_TIMEOUT":         "0s",
	"RELIABILITY_HEALTH_FETCH_INTERVAL":     "1ms",
	"RELIABILITY_TLS_PROBE_INTERVAL":        "1ms",
	"RELIABILITY_ETCD_POLL_INTERVAL":        "1ms",
	"RELIABILITY_NGINX_SAMPLE_INTERVAL":     "1ms",
	"RELIABILITY_AUDIT_MIN_SCORE":           "101",
	"RELIABILITY_HEALTH_FETCH_CONCURRENCY":  "0",
	"RELIABILITY_TLS_PROBE_CONCURRENCY":     "0",
	"RELIABILITY_HEALTH_MAX_BODY_BYTES":     "0",
	"RELIABILITY_KUBE_API_BURST":            "0",
	"RELIABILITY_HEALTH_FETCHES_PER_SECOND": "0",
	"RELIABILITY_TLS_PROBES_PER_SECOND":     "-1",
	"RELIABILITY_KUBE_API_QPS":              "0",
	"RELIABILITY_OWNER_LABELS":              "team,,owner",
	"RELIABILITY_MAX_REQUESTS_IN_FLIGHT":    "0",
	"RELIABILITY_ANALYSIS_MIN_INTERVAL":     "-1s",
	"RELIABILITY_SCRAPE_WAIT":               "-1s",
	"RELIABILITY_RESYNC_PERIOD":             "-1s",
	"RELIABILITY_SYNC_TIMEOUT":              "0s",
	"RELIABILITY_ETCD_TIMEOUT":              "0s",
	"RELIABILITY_HEALTH_FETCH_TIMEOUT":      "0s",
	"RELIABILITY_TLS_PROBE_TIMEOUT":         "0s",
	"RELIABILITY_HEALTH_MAX_JSON_DEPTH":     "0",
}

// Every variable, given a malformed value — one its type refuses, and
// one its own rule refuses — stops the exporter with exit 2 and one line
// naming the variable: never a panic, never a silent default. Variables
// whose every value is well-formed are listed (freeForm), so a new
// variable must be classified here.
func TestEveryVariableRefusesMalformedValues(t *testing.T) {
	vars, err := config.Vars()
	if err != nil {
		t.Fatal(err)
	}
	typeBad := map[string]string{"bool": "maybe", "int": "many", "int64": "many", "float32": "lots", "float64": "lots", "time.Duration": "5 minutes"}
	var checked, free []string
	for _, v := range vars {
		var values []string
		if b, ok := typeBad[v.Type]; ok {
			values = append(values, b)
		}
		if m, ok := malformed[v.Key]; ok {
			values = append(values, m)
		}
		if _, ok := config.Enums[v.Key]; ok {
			values = append(values, "nonsense")
		}
		if len(values) == 0 {
			free = append(free, v.Key)
			continue
		}
		for _, value := range values {
			checked = append(checked, v.Key)
			t.Run(v.Key+"="+value, func(t *testing.T) {
				t.Setenv(v.Key, value)
				code, _, stderr := runCapture(t, "demo")
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if code != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], v.Key) {
					t.Errorf("exit %d, stderr %q: want 2 and one line naming %s", code, stderr, v.Key)
				}
			})
		}
	}
	slices.Sort(free)
	want := slices.Sorted(slices.Values(freeForm))
	if !slices.Equal(free, want) {
		t.Errorf("variables without a malformed value %v, want %v (classify new ones)", free, want)
	}
	for k := range maps.Keys(malformed) {
		if !slices.Contains(checked, k) {
			t.Errorf("%s: no such variable", k)
		}
	}
	t.Logf("%d malformed values over %d variables refused", len(checked), len(vars)-len(free))
}
