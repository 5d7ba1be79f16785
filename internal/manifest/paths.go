package manifest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"

	"github.com/kube-reliability/kube-reliability-exporter/internal/bounded"
)

// MaxFileBytes bounds one input file.
const MaxFileBytes = 256 << 20

// Stdin is what the path "-" reads (helm template … | audit -).
var Stdin io.Reader = os.Stdin

// HelmValues are the values files a chart directory is rendered with (as
// helm template -f), and HelmRelease its release.
var (
	HelmValues  []string
	HelmRelease = chart.Release{Name: "release", Namespace: "default"}
)

// DecodePaths decodes every .yaml, .yml and .json file named or found
// under the given directories, standard input for "-", a Helm chart
// directory (a Chart.yaml) as helm template renders it and a kustomization
// directory as kustomize builds it, wherever they are found. An
// unreadable path is an error of its own; decoding goes on with the rest.
func DecodePaths(paths []string) Result {
	var all Result
	add := func(r Result) {
		all.Objects = append(all.Objects, r.Objects...)
		all.Errors = append(all.Errors, r.Errors...)
		all.Skipped = append(all.Skipped, r.Skipped...)
	}
	for _, p := range paths {
		if p == "-" {
			data, err := bounded.Read(Stdin, MaxFileBytes)
			if err != nil {
				all.Errors = append(all.Errors, &DecodeError{File: "-", Err: fmt.Errorf("read standard input: %w", err)})
			} else {
				add(Decode("-", data))
			}
			continue
		}
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				all.Errors = append(all.Errors, &DecodeError{File: path, Line: 0, Err: err})
				return nil
			}
			if d.IsDir() {
				if chart.IsChart(path) {
					add(renderChart(path))
					return filepath.SkipDir
				}
				if found, component := isKustomization(path); found {
					if !component {
						add(buildKustomization(path))
					}
					return filepath.SkipDir
				}
				return nil
			}
			// Files named explicitly are read whatever their extension.
			if path != p && !isManifest(path) {
				return nil
			}
			data, err := bounded.ReadFile(path, MaxFileBytes)
			if err != nil {
				all.Errors = append(all.Errors, &DecodeError{File: path, Err: err})
				return nil
			}
			r := Decode(path, data)
			all.Objects = append(all.Objects, r.Objects...)
			all.Errors = append(all.Errors, r.Errors...)
			all.Skipped = append(all.Skipped, r.Skipped...)
			return nil
		})
		if err != nil {
			all.Errors = append(all.Errors, &DecodeError{File: p, Err: err})
		}
	}
	return all
}

func isManifest(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Snapshot builds the analyzers' input from decoded objects. Manifests
// written by hand carry no UIDs and often no namespace: an object without
// a namespace is placed in "default" (as kubectl apply would with the
// default context), and one without a UID gets a stable synthetic UID, so
// pods that name their owner by UID (a dump) and workloads that have none
// (a manifest) both work.
func Snapshot(objs []Object) *cluster.Snapshot {
	s := &cluster.Snapshot{}
	for _, o := range objs {
		obj := any(o.Obj)
		so, keda := o.Obj.(*ScaledObject)
		kind, ok := cluster.KindOfObject(obj)
		if keda {
			kind, ok = cluster.KindOfResource(cluster.ScaledObjectGVR.Resource)
		}
		if !ok {
			continue
		}
		if m, ok := o.Obj.(metav1.Object); ok && kind.Namespaced {
			fill(m, kind.Name)
		}
		if keda {
			obj = so.compact()
		}
		// Add fails only on a type its kind does not hold, and the kind
		// was found by the type.
		_ = s.Add(kind, obj)
	}
	return s
}

func fill(m metav1.Object, kind string) {
	if m.GetNamespace() == "" {
		m.SetNamespace(metav1.NamespaceDefault)
	}
	if m.GetUID() == "" {
		m.SetUID(types.UID("manifest:" + kind + "/" + m.GetNamespace() + "/" + m.GetName()))
	}
}

// compact is what snapshots hold of a ScaledObject.
func (v *ScaledObject) compact() cluster.ScaledObject {
	kind := v.Spec.ScaleTargetRef.Kind
	if kind == "" {
		kind = cluster.KindDeployment // KEDA's default
	}
	var minimum int32
	if v.Spec.MinReplicaCount != nil {
		minimum = *v.Spec.MinReplicaCount
	}
	return cluster.ScaledObject{Namespace: v.Namespace, Name: v.Name, TargetKind: kind, TargetName: v.Spec.ScaleTargetRef.Name, MinReplicaCount: minimum}
}
