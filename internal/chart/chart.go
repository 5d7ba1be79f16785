package chart

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
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
// template's output by its file's path under dir; NOTES.txt and partials
// are left out.
func Render(dir string, rel Release, values map[string]any) (map[string]string, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	// Dependencies as helm install and helm template take them: missing
	// ones stop it with Helm's own advice; conditions, tags, aliases and
	// import-values decide which subcharts render and with what.
	if err := checkDependencies(ch); err != nil {
		return nil, fmt.Errorf("chart %s: an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: %w", dir, err)
	}
	if values == nil {
		values = map[string]any{}
	}
	// ProcessDependencies drops disabled subcharts and renames aliased
	// ones in place; paths are found in the chart as loaded.
	original, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	if err := chartutil.ProcessDependencies(ch, values); err != nil {
		return nil, fmt.Errorf("chart %s dependencies: %w", dir, err)
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
	files := make(map[string]string, len(out))
	for name, text := range out {
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") && !strings.HasSuffix(name, ".json") {
			continue
		}
		files[templatePath(dir, original, name)] = text
	}
	return files, nil
}

// templatePath turns the engine's name for a template (the chart's name,
// then its path: mychart/charts/sub/templates/x.yaml, a subchart under
// its alias) into the file's path under dir, the folder the user named,
// whatever the chart is called. A subchart packed as an archive
// (charts/sub-1.2.3.tgz) is named by the archive, then the template
// inside it.
func templatePath(dir string, ch *chartv2.Chart, name string) string {
	_, rest, _ := strings.Cut(name, "/")
	parts := strings.Split(rest, "/")
	path := dir
	for len(parts) >= 2 && parts[0] == "charts" {
		sub := subchart(ch, parts[1])
		if sub == nil {
			break
		}
		folder := filepath.Join(path, "charts", sub.Name())
		if _, err := os.Stat(folder); err != nil {
			if archives, _ := filepath.Glob(filepath.Join(path, "charts", sub.Name()+"-*.tgz")); len(archives) == 1 {
				return archives[0] + "#" + strings.Join(parts[2:], "/")
			}
		}
		ch, path, parts = sub, folder, parts[2:]
	}
	return filepath.Join(append([]string{path}, parts...)...)
}

// subchart is ch's dependency the engine names as name: its alias, or
// its own name.
func subchart(ch *chartv2.Chart, name string) *chartv2.Chart {
	chartName := name
	for _, d := range ch.Metadata.Dependencies {
		if d.Alias == name {
			chartName = d.Name
		}
	}
	for _, c := range ch.Dependencies() {
		if c.Name() == chartName || c.Name() == name {
			return c
		}
	}
	return nil
}

// checkDependencies reports the dependencies Chart.yaml names that are
// not in charts/ (as helm install's check does).
func checkDependencies(ch *chartv2.Chart) error {
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !slices.ContainsFunc(ch.Dependencies(), func(c *chartv2.Chart) bool { return c.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s", strings.Join(missing, ", "))
	}
	return nil
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
