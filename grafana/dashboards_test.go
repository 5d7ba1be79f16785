package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/alerts"
	"github.com/kube-reliability/kube-reliability-exporter/collector"
)

type board struct {
	UID, Title string
	Panels     []struct {
		Title   string
		Targets []struct {
			Expr         string
			LegendFormat string
		}
	}
}

func load(t *testing.T) map[string]board {
	t.Helper()
	files, _ := filepath.Glob("*.json")
	if len(files) < 5 {
		t.Fatalf("%d dashboards, want the 5 DESIGN lists", len(files))
	}
	out := map[string]board{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d board
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d.UID+".json" != f || d.Title == "" || len(d.Panels) == 0 {
			t.Errorf("%s: uid %q, title %q, %d panels", f, d.UID, d.Title, len(d.Panels))
		}
		out[f] = d
	}
	return out
}

var (
	metricName = regexp.MustCompile(`kube_reliability_[a-z_]+`)
	envoyName  = regexp.MustCompile(`\benvoy_[a-z_]+`)
	// envoyFamilies are the Envoy statistics dashboards may read.
	envoyFamilies = map[string][]string{
		"envoy_http_downstream_cx_drain_close":                {"namespace", "pod", "envoy_http_conn_manager_prefix"},
		"envoy_listener_manager_total_filter_chains_draining": {"namespace", "pod"},
		"envoy_listener_manager_total_listeners_draining":     {"namespace", "pod"},
	}
	legendVar = regexp.MustCompile(`{{\s*(\w+)\s*}}`)
)

// Every query names declared metrics, and every legend a label they have
// (or node, which the PodMonitor adds to the agent's series).
func TestQueriesUseDeclaredMetrics(t *testing.T) {
	labels := map[string][]string{}
	for _, s := range collector.All {
		for _, m := range s.Metrics {
			labels[m.Name] = m.Labels
		}
	}
	// Envoy's own statistics, which the Envoy drain panels and rules read
	// (alerts/envoy.rules.yml), with the labels Envoy Gateway's proxies
	// carry once Prometheus scrapes them.
	for name, l := range envoyFamilies {
		labels[name] = l
	}
	for _, name := range []string{"kube_reliability_scrape_collector_success"} {
		if _, ok := labels[name]; !ok {
			labels[name] = []string{"collector"}
		}
	}
	// The fleet recording rules' series, with the labels they keep.
	files, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					recorded = append(recorded, r.Record)
					labels[r.Record] = []string{"cluster", "severity"}
				}
			}
		}
	}
	for f, d := range load(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				expr := tg.Expr
				var names []string
				for _, r := range recorded {
					if strings.Contains(expr, r) {
						names = append(names, r)
						expr = strings.ReplaceAll(expr, r, "")
					}
				}
				names = append(names, metricName.FindAllString(expr, -1)...)
				names = append(names, envoyName.FindAllString(expr, -1)...)
				if len(names) == 0 {
					t.Errorf("%s / %s: query %q names no exporter metric", f, p.Title, tg.Expr)
				}
				for _, n := range names {
					if _, ok := labels[n]; !ok {
						t.Errorf("%s / %s: %s is not a declared metric", f, p.Title, n)
					}
				}
				for _, m := range legendVar.FindAllStringSubmatch(tg.LegendFormat, -1) {
					ok := m[1] == "node"
					for _, n := range names {
						ok = ok || slices.Contains(labels[n], m[1])
					}
					if !ok {
						t.Errorf("%s / %s: legend label %s is on none of %v", f, p.Title, m[1], names)
					}
				}
			}
		}
	}
}

// promtool parses every query (as a recording rule).
func TestQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not installed (hack/test-deps.sh installs it): %v", err)
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboards\n    rules:\n")
	i := 0
	for _, d := range load(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				i++
				expr, _ := json.Marshal(tg.Expr)
				fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %s\n", i, expr)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "queries.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool rejects a dashboard query: %v\n%s", err, out)
	}
}

// The ConfigMap in deploy/ carries exactly these dashboards.
func TestConfigMapCurrent(t *testing.T) {
	raw, err := os.ReadFile("../deploy/kustomize/base/dashboards.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Metadata struct{ Labels map[string]string }
		Data     map[string]string
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Error("the ConfigMap lacks the grafana_dashboard label Grafana's sidecar looks for")
	}
	for f := range load(t) {
		b, _ := os.ReadFile(f)
		var want, got any
		_ = json.Unmarshal(b, &want)
		if err := json.Unmarshal([]byte(cm.Data[f]), &got); err != nil {
			t.Errorf("%s missing from the ConfigMap: %v", f, err)
			continue
		}
		wb, _ := json.Marshal(want)
		gb, _ := json.Marshal(got)
		if string(wb) != string(gb) {
			t.Errorf("%s differs in the ConfigMap: run python3 hack/gen-dashboards.py", f)
		}
	}
	if len(cm.Data) != len(load(t)) {
		t.Errorf("ConfigMap holds %d dashboards, grafana/ %d", len(cm.Data), len(load(t)))
	}
}
