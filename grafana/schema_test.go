package grafana

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// failed: the SDK returns its error list typed even when it is empty.
func failed(err error) bool {
	var be cog.BuildErrors
	if errors.As(err, &be) {
		return len(be) > 0
	}
	return err != nil
}

// Every dashboard decodes strictly into Grafana's typed dashboard model
// (grafana-foundation-sdk, generated from Grafana's schema: an unknown
// field, a wrong type or a missing required field fails) and validates;
// every panel says what it shows and in which unit; every dashboard has
// the cluster and namespace variables, and every query of the exporter's
// metrics is scoped to the selected clusters.
func TestDashboardsMatchGrafanaSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	files, _ := filepath.Glob("*.json")
	// A series name, recorded ones (cluster:kube_reliability_…:max) whole.
	scoped := regexp.MustCompile(`([a-z_]+:)?kube_reliability_[a-z0-9_]+(:[a-z_]+)?\{[^}]*cluster=~"\$cluster"`)
	anyMetric := regexp.MustCompile(`([a-z_]+:)?kube_reliability_[a-z0-9_]+(:[a-z_]+)?`)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		//lint:ignore SA1019 Grafana's sidecar provisions the classic dashboard JSON this model describes; dashboardv2 is another format.
		var d dashboard.Dashboard
		if err := d.UnmarshalJSONStrict(raw); failed(err) {
			t.Errorf("%s: not a Grafana dashboard: %v", f, err)
			continue
		}
		if err := d.Validate(); failed(err) {
			t.Errorf("%s: %v", f, err)
		}
		vars := map[string]bool{}
		for _, v := range d.Templating.List {
			vars[v.Name] = true
		}
		for _, v := range []string{"datasource", "cluster", "namespace"} {
			if !vars[v] {
				t.Errorf("%s: no %s variable", f, v)
			}
		}
		if len(d.Links) == 0 {
			t.Errorf("%s: no links to the other dashboards", f)
		}
		var loose struct {
			Panels []struct {
				Title       string `json:"title"`
				Description string `json:"description"`
				FieldConfig struct {
					Defaults struct {
						Unit string `json:"unit"`
					} `json:"defaults"`
				} `json:"fieldConfig"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(raw, &loose); err != nil {
			t.Fatal(err)
		}
		for _, p := range loose.Panels {
			if len(p.Description) < 20 || p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: panel %q: description %q, unit %q", f, p.Title, p.Description, p.FieldConfig.Defaults.Unit)
			}
			for _, tg := range p.Targets {
				if n, s := len(anyMetric.FindAllString(tg.Expr, -1)), len(scoped.FindAllString(tg.Expr, -1)); n != s || strings.Contains(tg.Expr, "{}") {
					t.Errorf("%s: panel %q: %d of %d selectors scoped to $cluster: %s", f, p.Title, s, n, tg.Expr)
				}
			}
		}
	}
}
