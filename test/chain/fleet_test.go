package chain

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// Two clusters in one Prometheus, each exporter's series labelled with
// its cluster: the fleet recording rules (alerts/fleet.rules.yml) roll
// each up, and every query of the fleet dashboard has data. The two
// exporters serve different clusters (the demo's, and the example
// manifests), so their scores differ and a mix-up would show.
func TestFleetRollup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and two exporters")
	}
	hypotheses := "RELIABILITY_HYPOTHESES_FILE=../../examples/hypotheses/hypotheses.yaml"
	demo, _ := startExporter(t, "demo", hypotheses)
	shop, _ := startExporter(t, "demo", hypotheses, "RELIABILITY_DEMO_SNAPSHOT=../../examples/manifests")
	score := func(base string) float64 {
		t.Helper()
		fams, _, err := scrape(base)
		if err != nil {
			t.Fatal(err)
		}
		f := fams["kube_reliability_cluster_score"]
		if f == nil || len(f.Metric) != 1 {
			t.Fatalf("%s: no cluster score", base)
		}
		return value(f.Metric[0])
	}
	want := map[string]float64{"demo": score(demo), "shop": score(shop)}
	if want["demo"] == want["shop"] {
		t.Fatalf("both clusters score %v: the test could not tell them apart", want["demo"])
	}
	rules, err := os.ReadFile("../../alerts/fleet.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	host := func(u string) string { return strings.TrimPrefix(u, "http://") }
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [fleet.rules.yml]
scrape_configs:
  - job_name: kube-reliability-exporter
    honor_labels: true
    static_configs:
      - {targets: [%q], labels: {cluster: demo}}
      - {targets: [%q], labels: {cluster: shop}}
`, host(demo), host(shop)), map[string]string{"fleet.rules.yml": strings.ReplaceAll(string(rules), "interval: 1m", "interval: 1s")})

	testenv.Eventually(t, 60*time.Second, func() error {
		r, err := prom.Query(`cluster:kube_reliability_cluster_score:max`)
		if err != nil {
			return err
		}
		got := map[string]float64{}
		for _, s := range r {
			v, err := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
			if err != nil {
				return err
			}
			got[s.Metric["cluster"]] = v
		}
		if len(got) != 2 || got["demo"] != want["demo"] || got["shop"] != want["shop"] {
			return fmt.Errorf("recorded scores %v, want %v", got, want)
		}
		return nil
	})
	// Every recorded series exists for both clusters, and the hypotheses
	// failing count matches what /metrics says.
	for _, rec := range []string{"cluster:kube_reliability_namespace_score:min", "cluster:kube_reliability_hypotheses:count",
		"cluster:kube_reliability_hypotheses_failing:sum"} {
		testenv.Eventually(t, 30*time.Second, func() error {
			r, err := prom.Query(rec)
			if err != nil || len(r) != 2 {
				return fmt.Errorf("%s: %d series, want one per cluster (%v)", rec, len(r), err)
			}
			return nil
		})
	}
	for cluster, base := range map[string]string{"demo": demo, "shop": shop} {
		fams, _, err := scrape(base)
		if err != nil {
			t.Fatal(err)
		}
		failing := 0
		for _, m := range fams["kube_reliability_hypothesis_holds"].GetMetric() {
			if value(m) == 0 {
				failing++
			}
		}
		r, err := prom.Query(fmt.Sprintf(`cluster:kube_reliability_hypotheses_failing:sum{cluster=%q}`, cluster))
		if err != nil || len(r) != 1 || fmt.Sprint(r[0].Value[1]) != strconv.Itoa(failing) {
			t.Errorf("%s: hypotheses failing recorded %+v (%v), the exporter says %d", cluster, r, err, failing)
		}
	}
	// The fleet dashboard's queries answer, the variables at All.
	for _, q := range dashboardQueries(t) {
		if !strings.HasPrefix(q.panel, "kre-fleet.json") {
			continue
		}
		if r, err := prom.Query(q.expr); err != nil || len(r) == 0 {
			t.Errorf("%s: %d series (%v)", q.panel, len(r), err)
		}
	}
}
