package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiwatch "k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/sourcestatus"
)

// mirrorAnnotation holds, on a static pod's mirror, the UID the kubelet
// runs the static pod under (and names its cgroup after).
const mirrorAnnotation = "kubernetes.io/config.mirror"

const byUID = "uid"

// NodePods knows the pods on one node by UID, for the agent to name the
// pod a process runs in. It watches only that node's pods (a field
// selector: the API server filters), and only their metadata
// (PartialObjectMetadata), keeping their names alone. It links no API
// group's types: their code would be resident on every node.
type NodePods struct {
	informer cache.SharedIndexInformer
	watch    *watch
	synced   atomic.Bool
}

var podsResource = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// NewNodePods builds the watch of node's pods on client. Nothing is
// watched until Start.
func NewNodePods(client metadata.Interface, node string, logger *slog.Logger) (*NodePods, error) {
	onNode := fields.OneTermEqualSelector("spec.nodeName", node).String()
	pods := client.Resource(podsResource)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = onNode
			return pods.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (apiwatch.Interface, error) {
			o.FieldSelector = onNode
			return pods.Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(lw, &metav1.PartialObjectMetadata{}, 0, cache.Indexers{byUID: podUIDs})
	if err := inf.SetTransform(namesOnly); err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	w, err := newWatch("kubernetes", "pods:node", apitransport.Collection(podsResource, "", onNode), inf, logger.With("node", node))
	if err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	return &NodePods{informer: inf, watch: w}, nil
}

// namesOnly keeps a pod's identity: the agent needs nothing else.
func namesOnly(obj any) (any, error) {
	p, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	out := &metav1.PartialObjectMetadata{TypeMeta: p.TypeMeta, ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion}}
	if m, ok := p.Annotations[mirrorAnnotation]; ok {
		out.Annotations = map[string]string{mirrorAnnotation: m}
	}
	return out, nil
}

func podUIDs(obj any) ([]string, error) {
	p, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return nil, nil
	}
	uids := []string{string(p.UID)}
	if m := p.Annotations[mirrorAnnotation]; m != "" {
		uids = append(uids, m)
	}
	return uids, nil
}

// Start watches until ctx is done or stop is called; stop waits for the
// informer to end.
func (n *NodePods) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.informer.RunWithContext(ctx)
	}()
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), n.informer.HasSynced) {
			n.synced.Store(true)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// Pod names the pod with uid (or the static pod whose mirror carries it).
// synced is false until the first list completed: before that, not finding
// a pod says nothing.
func (n *NodePods) Pod(uid string) (namespace, name string, found, synced bool) {
	objs, err := n.informer.GetIndexer().ByIndex(byUID, uid)
	if err == nil && len(objs) > 0 {
		p := objs[0].(*metav1.PartialObjectMetadata)
		return p.Namespace, p.Name, true, true
	}
	return "", "", false, n.synced.Load()
}

// Status reports the watch of this node's pods like every other informer.
func (n *NodePods) Status() []sourcestatus.Resource {
	return []sourcestatus.Resource{n.watch.status()}
}
