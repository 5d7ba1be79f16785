package grafana

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// allClustersAndNamespaces is what the variables' All selects.
var allClustersAndNamespaces = strings.NewReplacer(`"$cluster"`, `".*"`, `"$namespace"`, `".*"`)

// The certificates dashboard on a known story, evaluated by promtool at
// time 0: one host expired a day ago, one expires in 5 days, one in 30;
// one handshake fails; one host is served another name's certificate;
// one renewed but not reloaded; one webhook's certificate is refused by
// its caBundle (an Ingress's unverified chain is not the control plane's
// concern); one cert-manager Certificate is not Ready.
func TestCertificatesDashboardOnAStory(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not installed (hack/test-deps.sh installs it): %v", err)
	}
	d, ok := load(t)["kre-certificates.json"]
	if !ok {
		t.Fatal("no kre-certificates dashboard")
	}
	exprs := map[string]string{}
	for _, p := range d.Panels {
		for i, tg := range p.Targets {
			exprs[fmt.Sprintf("%s/%d", p.Title, i)] = allClustersAndNamespaces.Replace(tg.Expr)
		}
	}
	host := func(kind, ns, name, h string) string {
		return fmt.Sprintf(`{kind=%q,namespace=%q,name=%q,host=%q}`, kind, ns, name, h)
	}
	web, old, soon, typo := host("Ingress", "shop", "web", "a.example"), host("Ingress", "shop", "old", "old.example"),
		host("Gateway", "edge", "public", "soon.example"), host("Ingress", "shop", "typo", "typo.example")
	input := []map[string]string{
		{"series": "kube_reliability_certificate_expiry_timestamp_seconds" + old, "values": "-86400"},
		{"series": "kube_reliability_certificate_expiry_timestamp_seconds" + soon, "values": "432000"},
		{"series": "kube_reliability_certificate_expiry_timestamp_seconds" + web, "values": "2592000"},
		{"series": "kube_reliability_certificate_expiry_timestamp_seconds" + typo, "values": "2592000"},
		{"series": `kube_reliability_certificate_probe_error{kind="Ingress",namespace="shop",name="gone",host="gone.example",reason="refused"}`, "values": "1"},
		{"series": "kube_reliability_certificate_covers_host" + typo, "values": "0"},
		{"series": "kube_reliability_certificate_covers_host" + web, "values": "1"},
		{"series": "kube_reliability_certificate_stale_after_renewal" + soon, "values": "1"},
		{"series": "kube_reliability_certificate_stale_after_renewal" + web, "values": "0"},
		{"series": "kube_reliability_certificate_verified" + host("ValidatingWebhookConfiguration", "", "policy", "webhook.policy.svc"), "values": "0"},
		{"series": "kube_reliability_certificate_verified" + typo, "values": "0"},
		{"series": `kube_reliability_certmanager_certificate_ready{namespace="shop",certificate="broken"}`, "values": "0"},
		{"series": `kube_reliability_certmanager_certificate_ready{namespace="shop",certificate="web"}`, "values": "1"},
	}
	type sample struct {
		Labels string  `json:"labels"`
		Value  float64 `json:"value"`
	}
	scalar := func(v float64) []sample { return []sample{{Labels: "{}", Value: v}} }
	want := map[string][]sample{
		"Handshakes failing/0":                {{Labels: "{}", Value: 1}},
		"Expired/0":                           scalar(1),
		"Expiring within 14 days/0":           scalar(1),
		"Wrong host or default certificate/0": scalar(1),
		"Renewed, not served/0":               scalar(1),
		"Control plane untrusted/0":           scalar(1),
		"Failing: what fails and why/0":       {{Labels: `kube_reliability_certificate_probe_error{kind="Ingress",namespace="shop",name="gone",host="gone.example",reason="refused"}`, Value: 1}},
		"Failing: what fails and why/5":       {{Labels: `kube_reliability_certmanager_certificate_ready{namespace="shop",certificate="broken"}`, Value: 0}},
		"Served certificates by days left (soonest first)/0": {
			{Labels: old, Value: -1}, {Labels: soon, Value: 5}, {Labels: web, Value: 30}, {Labels: typo, Value: 30}},
		"Soonest expiry per kind (days left)/0": {{Labels: `{kind="Ingress"}`, Value: -1}, {Labels: `{kind="Gateway"}`, Value: 5}},
	}
	var rules []map[string]string
	var tests []map[string]any
	i := 0
	for key, samples := range want {
		expr, ok := exprs[key]
		if !ok {
			t.Fatalf("no panel query %q", key)
		}
		i++
		name := fmt.Sprintf("dashboard:q%d", i)
		rules = append(rules, map[string]string{"record": name, "expr": expr})
		var exp []map[string]any
		for _, s := range samples {
			labels := s.Labels
			// A recording rule keeps the labels and takes its own name.
			if j := strings.Index(labels, "{"); j >= 0 {
				labels = labels[j:]
			}
			exp = append(exp, map[string]any{"labels": name + labels, "value": s.Value})
		}
		tests = append(tests, map[string]any{"expr": name, "eval_time": "0m", "exp_samples": exp})
	}
	dir := t.TempDir()
	write := func(file string, v any) {
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("rules.yml", map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	write("test.yml", map[string]any{"rule_files": []string{"rules.yml"}, "evaluation_interval": "1m",
		"tests": []any{map[string]any{"interval": "1m", "input_series": input, "promql_expr_test": tests}}})
	if out, err := exec.Command(promtool, "test", "rules", filepath.Join(dir, "test.yml")).CombinedOutput(); err != nil {
		t.Errorf("the certificates dashboard does not tell the story: %v\n%s", err, out)
	}
}
