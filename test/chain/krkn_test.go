package chain

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// krknAlert is one entry of a Krkn alert profile (kube-burner's format).
type krknAlert struct {
	Expr        string `json:"expr"`
	Description string `json:"description"`
	Severity    string `json:"severity"`
}

// krknProfile reads examples/krkn/alerts.yaml strictly, as Krkn would
// refuse an unknown severity.
func krknProfile(t *testing.T) []krknAlert {
	t.Helper()
	b, err := os.ReadFile("../../examples/krkn/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []krknAlert
	if err := yaml.UnmarshalStrict(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) < 4 {
		t.Fatalf("%d queries in the Krkn profile", len(out))
	}
	for _, a := range out {
		if a.Expr == "" || a.Description == "" || !slices.Contains([]string{"info", "warning", "error", "critical"}, a.Severity) {
			t.Fatalf("Krkn profile entry %+v: needs expr, description and a Krkn severity", a)
		}
	}
	return out
}

// krknFailing evaluates the profile in a real Prometheus and returns, per
// query, the series it returns: a Krkn run fails on any.
func krknFailing(t *testing.T, prom *testenv.Server) map[string][]testenv.Sample {
	t.Helper()
	out := map[string][]testenv.Sample{}
	for _, a := range krknProfile(t) {
		r, err := prom.Query(a.Expr)
		if err != nil {
			t.Errorf("Krkn profile query %q: %v", a.Expr, err)
			continue
		}
		if len(r) > 0 {
			out[a.Expr] = r
		}
	}
	return out
}

// goNoGo GETs the exporter's /hypotheses?all, as the Krkn example's
// health check does.
func goNoGo(base string) (int, []string, error) {
	resp, err := http.Get(base + "/hypotheses?all")
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, err
	}
	var v struct {
		Holds   bool     `json:"holds"`
		Failing []string `json:"failing"`
		Unknown []string `json:"unknown"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%w: %s", err, b)
	}
	if v.Holds != (resp.StatusCode == http.StatusOK) {
		return resp.StatusCode, nil, fmt.Errorf("status %d with holds %t", resp.StatusCode, v.Holds)
	}
	return resp.StatusCode, append(v.Failing, v.Unknown...), nil
}
