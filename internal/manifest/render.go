package manifest

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
)

// renderChart decodes a chart directory as helm template renders it with
// HelmValues; each template's output is decoded under its file's path
// (lines are those of the rendered output). A chart that does not render
// is one error.
func renderChart(dir string) Result {
	vals, err := chart.ValuesFiles(HelmValues...)
	if err != nil {
		return Result{Errors: []*DecodeError{{File: dir, Err: err}}}
	}
	out, err := chart.Render(dir, HelmRelease, vals)
	if err != nil {
		return Result{Errors: []*DecodeError{{File: dir, Err: err}}}
	}
	var all Result
	for _, name := range slices.Sorted(maps.Keys(out)) {
		r := Decode(name, []byte(out[name]))
		// A test hook runs only under `helm test`, never as part of the
		// release: helm install leaves it out, and so does the audit.
		r.Objects = slices.DeleteFunc(r.Objects, isTestHook)
		all.Objects = append(all.Objects, r.Objects...)
		all.Errors = append(all.Errors, r.Errors...)
		all.Skipped = append(all.Skipped, r.Skipped...)
	}
	return all
}

// isKustomization reports whether dir holds a kustomization file, and
// whether it is a Component (which only overlays build: nothing of its
// own to decode).
func isKustomization(dir string) (found, component bool) {
	for _, f := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil {
			return true, bytes.Contains(b, []byte("kind: Component"))
		}
	}
	return false, false
}

// buildKustomization decodes what kustomize build makes of dir (as
// kubectl apply -k would apply it).
func buildKustomization(dir string) Result {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return Result{Errors: []*DecodeError{{File: dir, Err: fmt.Errorf("kustomize build: %w", err)}}}
	}
	y, err := m.AsYaml()
	if err != nil {
		return Result{Errors: []*DecodeError{{File: dir, Err: fmt.Errorf("kustomize build: %w", err)}}}
	}
	// Lines of the built stream name no line of any file the user has:
	// objects and errors point at the kustomization itself.
	r := Decode(filepath.Join(dir, "kustomization.yaml"), y)
	for i := range r.Objects {
		r.Objects[i].Line = 0
	}
	for i := range r.Skipped {
		r.Skipped[i].Line = 0
	}
	return r
}

// isTestHook reports whether o is a Helm test hook (helm.sh/hook: test,
// or the older test-success and test-failure).
func isTestHook(o Object) bool {
	m, err := meta.Accessor(o.Obj)
	if err != nil {
		return false
	}
	for h := range strings.SplitSeq(m.GetAnnotations()["helm.sh/hook"], ",") {
		if h = strings.TrimSpace(h); h == "test" || h == "test-success" || h == "test-failure" {
			return true
		}
	}
	return false
}
