package chain

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/kube-reliability/kube-reliability-exporter/alerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// firing is the alerts firing in prom, by class then by
// alertname/namespace/rule, counted.
func firing(t *testing.T, prom *testenv.Server) map[string]map[string]int {
	t.Helper()
	r, err := prom.Query(`ALERTS{alertstate="firing"}`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int{}
	for _, s := range r {
		c := s.Metric["class"]
		if out[c] == nil {
			out[c] = map[string]int{}
		}
		out[c][s.Metric["alertname"]+"/"+s.Metric["namespace"]+"/"+s.Metric["rule"]]++
	}
	return out
}

// The demo cluster's failure modes through the shipped rules in a real
// Prometheus and the shipped Alertmanager example in a real Alertmanager:
// every configuration-debt alert fires once per namespace and rule,
// exactly where the exporter reports that rule's findings, and carries
// the namespace's owner; nothing fires for a rule in a namespace where no
// finding is; each team's receiver gets its namespaces' alerts and no
// other's, the platform receiver the rest.
func TestDemoDebtAlertsOncePerNamespaceAndRule(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus, Alertmanager and the demo")
	}
	demo, _ := startExporter(t, "demo")
	recv := &receivers{got: map[string][]string{}}
	recvAddr := serveHTTP(t, recv)
	am := testenv.StartAlertmanager(t, exampleAlertmanagerConfig(t, recvAddr))
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
  external_labels: {cluster: demo}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: [%q]}]
scrape_configs:
  - job_name: kube-reliability/kube-reliability-exporter
    honor_labels: true
    static_configs: [{targets: [%q]}]
`, strings.TrimPrefix(am.URL, "http://"), strings.TrimPrefix(demo, "http://")), map[string]string{"rules.yml": rulesWithoutWaiting(t)})

	// What the exporter reports: the namespaces of each rule's findings,
	// and each namespace's owner.
	fams, _, err := scrape(demo)
	if err != nil {
		t.Fatal(err)
	}
	findingsIn := map[string][]string{} // rule → namespaces
	for _, m := range fams["kube_reliability_namespace_finding_objects"].GetMetric() {
		l := labels(m)
		findingsIn[l["rule"]] = append(findingsIn[l["rule"]], l["namespace"])
	}
	owners := map[string]string{}
	for _, m := range fams["kube_reliability_namespace_owner_info"].GetMetric() {
		l := labels(m)
		owners[l["namespace"]] = l["owner"]
	}
	// The debt alerts and the rules they fire on, from the shipped rules.
	want := map[string]int{}
	rules := debtRuleSelectors(t)
	for alert, sel := range rules {
		re := regexp.MustCompile("^(?:" + sel + ")$")
		for rule, namespaces := range findingsIn {
			if re.MatchString(rule) {
				for _, ns := range namespaces {
					want[alert+"/"+ns+"/"+rule] = 1
				}
			}
		}
	}
	// The two debt alerts on series rather than findings: one per
	// namespace with a release over 10 revisions, or a chain over 3 deep.
	for alert, family := range map[string]string{"KubeReliabilityHelmHistoryTooLong": "kube_reliability_helm_release_revisions",
		"KubeReliabilityHealthCheckChainTooDeep": "kube_reliability_health_dependency_depth"} {
		limit := map[bool]float64{true: 10, false: 3}[family == "kube_reliability_helm_release_revisions"]
		for _, m := range fams[family].GetMetric() {
			if value(m) > limit {
				want[alert+"/"+labels(m)["namespace"]+"/"] = 1
			}
		}
	}
	if len(want) < 20 {
		t.Fatalf("the demo has %d debt alerts to expect: too few to prove anything (%v)", len(want), want)
	}
	var got map[string]map[string]int
	testenv.Eventually(t, 60*time.Second, func() error {
		got = firing(t, prom)
		if !maps.Equal(got["debt"], want) {
			var missing, extra []string
			for k := range want {
				if got["debt"][k] != 1 {
					missing = append(missing, fmt.Sprintf("%s×%d", k, got["debt"][k]))
				}
			}
			for k := range got["debt"] {
				if want[k] == 0 {
					extra = append(extra, k)
				}
			}
			slices.Sort(missing)
			slices.Sort(extra)
			return fmt.Errorf("debt alerts not once per namespace and rule: missing or repeated %v, unexpected %v", missing, extra)
		}
		return nil
	})
	// Each carries its namespace's owner.
	r, err := prom.Query(`ALERTS{alertstate="firing",class="debt",namespace!=""}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r {
		if s.Metric["owner"] != owners[s.Metric["namespace"]] {
			t.Errorf("%s in %s: owner %q, want %q", s.Metric["alertname"], s.Metric["namespace"], s.Metric["owner"], owners[s.Metric["namespace"]])
		}
	}
	if owners["shop"] != "storefront" || owners["analytics"] != "data-science" {
		t.Errorf("demo owners %v: shop is the storefront team's, analytics names data-science by its owner label", owners)
	}
	// Routed by owner: the example has routes for storefront and
	// payments; data-science's and unowned alerts go to the platform.
	// Alerts without a namespace (etcd, the exporter's absent() at
	// start-up) always go to the platform: only the namespaced ones are
	// routed by owner, and compared.
	r, err = prom.Query(`ALERTS{alertstate="firing",namespace!=""}`)
	if err != nil {
		t.Fatal(err)
	}
	wantRoutes := map[string][]string{}
	for _, s := range r {
		to := "platform"
		if o := s.Metric["owner"]; o == "storefront" || o == "payments" {
			to = o
		}
		k := s.Metric["alertname"] + "/" + s.Metric["namespace"]
		if !slices.Contains(wantRoutes[to], k) {
			wantRoutes[to] = append(wantRoutes[to], k)
		}
	}
	for _, v := range wantRoutes {
		slices.Sort(v)
	}
	if len(wantRoutes["storefront"]) == 0 || len(wantRoutes["payments"]) == 0 {
		t.Fatalf("the demo's alerts reach %v: no team's alerts to route", wantRoutes)
	}
	routed := func() error {
		for to, w := range wantRoutes {
			got := slices.DeleteFunc(recv.of(to), func(k string) bool { return strings.HasSuffix(k, "/") })
			if !slices.Equal(got, w) {
				return fmt.Errorf("receiver %s got %v, want %v", to, recv.of(to), w)
			}
		}
		return nil
	}
	for end := time.Now().Add(30 * time.Second); routed() != nil && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	if err := routed(); err != nil {
		t.Error(err)
	}
	if t.Failed() {
		if resp, err := http.Get(am.URL + "/api/v2/alerts"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Logf("alertmanager holds: %s", b)
		}
	}
	sum := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	t.Logf("demo: %d debt alerts (%d namespaces), %d incident alerts: %v", sum(got["debt"]), len(owners), sum(got["incident"]), slices.Sorted(maps.Keys(got["incident"])))
}

// debtRuleSelectors maps each debt alert that fires on the findings'
// counts to its rule selector (a regular expression over rule ids).
func debtRuleSelectors(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	selector := regexp.MustCompile(`kube_reliability_namespace_finding_objects\{rule(=~?)"([^"]+)"\}`)
	for _, g := range shippedRules(t) {
		for _, r := range g.Rules {
			if r.Labels["class"] != "debt" {
				continue
			}
			if m := selector.FindStringSubmatch(r.Expr); m != nil {
				out[r.Alert] = m[2]
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("%d debt alerts on findings", len(out))
	}
	return out
}

// shippedRules is every shipped rule group.
func shippedRules(t *testing.T) []alerts.Group {
	t.Helper()
	files, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []alerts.Group
	for _, f := range files {
		out = append(out, f.Groups...)
	}
	return out
}

// labels are a sample's labels by name.
func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}
