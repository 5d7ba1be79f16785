package scale

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/alerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// AlertCounts is what the shipped rules make of the cluster: the alerts
// firing in a real Prometheus (every for: dropped, so what would fire
// once it had lasted) and the notifications a real Alertmanager sends.
type AlertCounts struct {
	Debt     int `json:"debt_firing"`
	Incident int `json:"incident_firing"`
	// DebtMaxPerNamespaceRule is the most debt alerts one namespace and
	// rule fire: 1 is the goal.
	DebtMaxPerNamespaceRule int `json:"debt_max_per_namespace_and_rule"`
	// Notifications are the webhook deliveries, each a group of alerts,
	// routed by owner as deploy/alertmanager/alertmanager.yml does with a
	// route per team.
	Notifications int `json:"notifications"`
	// Before is what the rules of KRE_SCALE_BEFORE_RULES (a directory of
	// *.rules.yml, the shipped ones of an earlier commit) fire on the
	// same exporter; 0 when not measured.
	Before int `json:"before_firing,omitempty"`
}

// ruleFile renders rule groups as one file, every for: dropped and the
// groups evaluated every 5 s.
func ruleFile(b *testing.B, groups []map[string]any) string {
	b.Helper()
	for _, g := range groups {
		g["interval"] = "5s"
		for _, r := range g["rules"].([]any) {
			delete(r.(map[string]any), "for")
		}
	}
	out, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		b.Fatal(err)
	}
	return string(out)
}

// loadGroups reads every *.rules.yml of dir ("": the shipped rules).
func loadGroups(b *testing.B, dir string) []map[string]any {
	b.Helper()
	var raw [][]byte
	if dir == "" {
		files, err := alerts.Load()
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			y, err := yaml.Marshal(f)
			if err != nil {
				b.Fatal(err)
			}
			raw = append(raw, y)
		}
	} else {
		names, _ := filepath.Glob(filepath.Join(dir, "*.rules.yml"))
		if len(names) == 0 {
			b.Fatalf("KRE_SCALE_BEFORE_RULES=%s holds no *.rules.yml", dir)
		}
		for _, n := range names {
			y, err := os.ReadFile(n)
			if err != nil {
				b.Fatal(err)
			}
			raw = append(raw, y)
		}
	}
	var groups []map[string]any
	for _, y := range raw {
		var f struct {
			Groups []map[string]any `json:"groups"`
		}
		if err := yaml.Unmarshal(y, &f); err != nil {
			b.Fatal(err)
		}
		groups = append(groups, f.Groups...)
	}
	return groups
}

// notifications counts Alertmanager's webhook deliveries.
type notifications struct {
	mu sync.Mutex
	n  int
}

func (c *notifications) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *notifications) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// measureAlerts points a real Prometheus, with the shipped rules, and a
// real Alertmanager at central, waits until the alerts settle, and
// counts them.
func measureAlerts(b *testing.B, c *central) *AlertCounts {
	b.Helper()
	recv := &notifications{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	b.Cleanup(func() { srv.Close() })
	// The example's routing with a route per team (every owner), waits
	// shortened so that every group is sent within the measurement.
	am := testenv.StartAlertmanager(b, fmt.Sprintf(`
route:
  receiver: platform
  group_by: [cluster, namespace, alertname]
  group_wait: 1s
  group_interval: 1h
  repeat_interval: 24h
  routes:
    - matchers: ['owner=~".+"']
      receiver: teams
      routes:
        - matchers: ['class="debt"']
          group_by: [cluster, owner]
    - matchers: ['class="debt"']
      receiver: platform
      group_by: [cluster]
receivers:
  - name: platform
    webhook_configs: [{url: "http://%[1]s/platform"}]
  - name: teams
    webhook_configs: [{url: "http://%[1]s/teams"}]
`, l.Addr()))
	promConfig := func(withAM bool) string {
		s := `
global: {scrape_interval: 30s, scrape_timeout: 25s, evaluation_interval: 5s}
rule_files: [rules.yml]
scrape_configs:
  - job_name: kube-reliability/kube-reliability-exporter
    honor_labels: true
    static_configs: [{targets: ["` + c.addr + `"]}]
`
		if withAM {
			s += "alerting:\n  alertmanagers:\n    - static_configs: [{targets: [\"" + am.URL[len("http://"):] + "\"]}]\n"
		}
		return s
	}
	prom := testenv.StartPrometheus(b, promConfig(true), map[string]string{"rules.yml": ruleFile(b, loadGroups(b, ""))})
	var before *testenv.Server
	if dir := os.Getenv("KRE_SCALE_BEFORE_RULES"); dir != "" {
		before = testenv.StartPrometheus(b, promConfig(false), map[string]string{"rules.yml": ruleFile(b, loadGroups(b, dir))})
	}
	count := func(p *testenv.Server, q string) int {
		r, err := p.Query(q)
		if err != nil || len(r) == 0 {
			return 0
		}
		n, _ := strconv.ParseFloat(fmt.Sprint(r[0].Value[1]), 64)
		return int(n)
	}
	// Settled: two scrapes in, and the same count three polls running.
	var got AlertCounts
	last, same := -1, 0
	deadline := time.Now().Add(5 * time.Minute)
	for same < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Second)
		if count(prom, `count(kube_reliability_cluster_score)`) == 0 {
			continue
		}
		n := count(prom, `count(ALERTS{alertstate="firing"})`)
		if n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
	got.Debt = count(prom, `count(ALERTS{alertstate="firing",class="debt"})`)
	got.Incident = count(prom, `count(ALERTS{alertstate="firing",class="incident"})`)
	got.DebtMaxPerNamespaceRule = count(prom, `max(count by (alertname, namespace, rule) (ALERTS{alertstate="firing",class="debt"}))`)
	// Every group's first notification leaves after group_wait.
	time.Sleep(10 * time.Second)
	got.Notifications = recv.count()
	if before != nil {
		got.Before = count(before, `count(ALERTS{alertstate="firing"})`)
	}
	b.Logf("scale: alerts %+v", got)
	return &got
}
