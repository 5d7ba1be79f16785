package demo

import (
	_ "embed"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kube-reliability/kube-reliability-exporter/internal/manifest"
)

//go:embed snapshot/cluster.json
var bundled []byte

// BundledName is how the bundled snapshot is named in messages.
const BundledName = "bundled example cluster"

// Bundled returns the bundled snapshot's raw manifest (a kubectl -o json
// List dump).
func Bundled() []byte { return bundled }

// Client returns a fake clientset holding the objects of the manifest
// files under paths, or the bundled example cluster when paths is empty.
func Client(paths []string) (kubernetes.Interface, error) {
	var r manifest.Result
	if len(paths) == 0 {
		r = manifest.Decode(BundledName, bundled)
	} else {
		r = manifest.DecodePaths(paths)
	}
	if len(r.Errors) > 0 {
		errs := make([]error, len(r.Errors))
		for i, e := range r.Errors {
			errs[i] = e
		}
		return nil, fmt.Errorf("demo snapshot: %w", errors.Join(errs...))
	}
	// Snapshot fills namespaces and UIDs that hand-written manifests lack.
	manifest.Snapshot(r.Objects)
	objs := make([]runtime.Object, len(r.Objects))
	for i, o := range r.Objects {
		objs[i] = o.Obj
	}
	return fake.NewClientset(objs...), nil
}
