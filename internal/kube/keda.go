//go:build !agentonly

package kube

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// ScaledObjectGVR is KEDA's ScaledObject.
var ScaledObjectGVR = cluster.ScaledObjectGVR

// ScaledObjectWatcher watches KEDA ScaledObjects once their CRD is served
// (see crdWatch): their minReplicaCount is the floor of their targets'
// replicas in every analysis, as an HPA's minReplicas is.
type ScaledObjectWatcher struct{ *crdWatch }

// WatchScaledObjects builds the watcher and makes i's snapshots hold the
// ScaledObjects it sees; their changes change i's generation.
func (i *Informers) WatchScaledObjects(disc discovery.DiscoveryInterface, dyn dynamic.Interface, interval time.Duration) *ScaledObjectWatcher {
	w := &ScaledObjectWatcher{&crdWatch{disc: disc, dyn: dyn, interval: interval, logger: i.logger,
		gv: ScaledObjectGVR.GroupVersion(), resources: map[string]schema.GroupVersionResource{"scaledobjects": ScaledObjectGVR},
		trim: map[string]cache.TransformFunc{"scaledobjects": trimScaledObject}, changed: func() { i.generation.Add(1) },
		found: "KEDA found, watching its ScaledObjects"}}
	i.mu.Lock()
	i.scaledObjects = w
	i.mu.Unlock()
	return w
}

// trimScaledObject keeps identity, spec.scaleTargetRef's kind and name and
// spec.minReplicaCount: triggers can be large.
func trimScaledObject(obj any) (any, error) {
	if out, ok := trimUnstructured(obj, []string{"spec", "scaleTargetRef", "kind"}, []string{"spec", "scaleTargetRef", "name"},
		[]string{"spec", "minReplicaCount"}); ok {
		return out, nil
	}
	return obj, nil
}

// ScaledObjects lists them: none while the CRD is absent or the cache has
// not synced (the HPAs KEDA makes still set floors meanwhile).
func (w *ScaledObjectWatcher) ScaledObjects() []cluster.ScaledObject {
	objs, err := w.objects("scaledobjects")
	if err != nil {
		return nil
	}
	var out []cluster.ScaledObject
	for _, u := range objs {
		so := cluster.ScaledObject{Namespace: u.GetNamespace(), Name: u.GetName(), TargetKind: cluster.KindDeployment}
		if k, _, _ := unstructured.NestedString(u.Object, "spec", "scaleTargetRef", "kind"); k != "" {
			so.TargetKind = k
		}
		so.TargetName, _, _ = unstructured.NestedString(u.Object, "spec", "scaleTargetRef", "name")
		if m, found, _ := unstructured.NestedInt64(u.Object, "spec", "minReplicaCount"); found && m >= 0 && m <= 1<<31-1 {
			so.MinReplicaCount = int32(m)
		}
		out = append(out, so)
	}
	return out
}
