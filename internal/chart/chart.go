// Package chart renders a Helm chart directory as helm template does,
// with the Helm SDK (values schema checked, no cluster contacted): the
// deploy tests render the exporter's own chart with it, and audit reads
// a chart directory through it.
package chart

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// IsChart reports whether dir holds a chart (a Chart.yaml).
func IsChart(dir string) bool {
	_, err := os.Stat(dir + "/Chart.yaml")
	return err == nil
}

// Release names the release a chart is rendered for, and the API
// versions beyond Kubernetes' own the cluster serves (group/version or
// group/version/Kind, as helm template --api-versions takes them).
type Release struct {
	Name, Namespace string
	APIVersions     []string
}

// Render renders the chart in dir with values (merged over its
// values.yaml, checked against its values.schema.json) and returns each
// template's output by name; NOTES.txt and partials are left out.
func Render(dir string, rel Release, values map[string]any) (map[string]string, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	caps := common.DefaultCapabilities.Copy()
	caps.APIVersions = append(slices.Clone(caps.APIVersions), rel.APIVersions...)
	rv, err := util.ToRenderValuesWithSchemaValidation(ch, values,
		common.ReleaseOptions{Name: rel.Name, Namespace: rel.Namespace, IsInstall: true}, caps, false)
	if err != nil {
		return nil, fmt.Errorf("chart %s values: %w", dir, err)
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return nil, fmt.Errorf("render chart %s: %w", dir, err)
	}
	for name := range out {
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".json") {
			delete(out, name)
		}
	}
	return out, nil
}

// Objects renders the chart and decodes its documents, sorted by kind and
// name.
func Objects(dir string, rel Release, values map[string]any) ([]*unstructured.Unstructured, error) {
	out, err := Render(dir, rel, values)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, name := range slices.Sorted(maps.Keys(out)) {
		for doc := range strings.SplitSeq(out[name], "\n---") {
			var o map[string]any
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if len(o) > 0 {
				objs = append(objs, &unstructured.Unstructured{Object: o})
			}
		}
	}
	slices.SortFunc(objs, func(a, b *unstructured.Unstructured) int {
		return cmp.Or(cmp.Compare(a.GetKind(), b.GetKind()), cmp.Compare(a.GetName(), b.GetName()))
	})
	return objs, nil
}

// ValuesFiles reads and merges values files, later ones winning key by key
// (as helm -f a.yaml -f b.yaml).
func ValuesFiles(paths ...string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("values file %s: %w", p, err)
		}
		out = merge(out, v)
	}
	return out, nil
}

func merge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}
