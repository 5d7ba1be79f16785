package deploy

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"sigs.k8s.io/yaml"
)

// Helm 3 installs the chart as Helm 4 does: with its own SDK (v3.22.0)
// the chart lints, its values schema is enforced, and it renders, with
// the defaults and with every value set, exactly the objects Helm 4
// renders.
func TestChartWithHelm3(t *testing.T) {
	for name, vals := range map[string]map[string]any{"defaults": {}, "full": fullValues} {
		res := lint.All(chartDir, vals, chartNamespace, false)
		for _, m := range res.Messages {
			if m.Severity >= 2 {
				t.Errorf("%s: helm 3 lint: %s", name, m)
			}
		}
		ch, err := loader.Load(chartDir)
		if err != nil {
			t.Fatal(err)
		}
		caps := chartutil.DefaultCapabilities.Copy()
		caps.APIVersions = append(slices.Clone(caps.APIVersions), promOperatorAPIs...)
		rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: "kre", Namespace: chartNamespace, IsInstall: true}, caps)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := engine.Render(ch, rv)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var h3 []map[string]any
		for _, file := range slices.Sorted(maps.Keys(out)) {
			if !strings.HasSuffix(file, ".yaml") {
				continue
			}
			for doc := range strings.SplitSeq(out[file], "\n---") {
				var o map[string]any
				if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
					t.Fatal(err)
				}
				if len(o) > 0 {
					h3 = append(h3, o)
				}
			}
		}
		h4 := mustRender(t, vals)
		if len(h3) != len(h4) {
			t.Fatalf("%s: helm 3 renders %d objects, helm 4 %d", name, len(h3), len(h4))
		}
		seen := map[string]map[string]any{}
		for _, o := range h3 {
			md := o["metadata"].(map[string]any)
			seen[o["kind"].(string)+"/"+md["name"].(string)] = o
		}
		for _, o := range h4 {
			if got := seen[o.GetKind()+"/"+o.GetName()]; !reflect.DeepEqual(got, o.Object) {
				t.Errorf("%s: %s %s differs between helm 3 and helm 4", name, o.GetKind(), o.GetName())
			}
		}
	}
	// The schema holds under Helm 3 too.
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]any{"central": map[string]any{"config": map[string]any{"RELIABILITY_TLS_PROBE": "maybe"}}}
	if _, err := chartutil.ToRenderValues(ch, bad, chartutil.ReleaseOptions{Name: "kre", Namespace: chartNamespace}, chartutil.DefaultCapabilities); err == nil || !strings.Contains(err.Error(), "RELIABILITY_TLS_PROBE") {
		t.Errorf("helm 3 took a wrong value: %v", err)
	}
}
