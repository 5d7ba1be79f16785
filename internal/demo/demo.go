package demo

import (
	_ "embed"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

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
// observe, if not nil, is told of each list and watch served, as a real
// API client's transport would (apitransport.Activity).
func Client(paths []string, observe func(gvr schema.GroupVersionResource, labelSelector, fieldSelector string)) (kubernetes.Interface, error) {
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
	c := fake.NewClientset(objs...)
	if observe != nil {
		c.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
			if l, ok := a.(k8stesting.ListAction); ok {
				r := l.GetListRestrictions()
				observe(a.GetResource(), r.Labels.String(), r.Fields.String())
			}
			return false, nil, nil
		})
		c.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
			if w, ok := a.(k8stesting.WatchAction); ok {
				r := w.GetWatchRestrictions()
				observe(a.GetResource(), r.Labels.String(), r.Fields.String())
			}
			return false, nil, nil
		})
	}
	return c, nil
}
