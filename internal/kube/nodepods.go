package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// mirrorAnnotation holds, on a static pod's mirror, the UID the kubelet
// runs the static pod under (and names its cgroup after).
const mirrorAnnotation = "kubernetes.io/config.mirror"

const byUID = "uid"

// NodePods knows the pods on one node by UID, for the agent to name the
// pod a process runs in. It watches only that node's pods (a field
// selector: the API server filters), keeping their names alone.
type NodePods struct {
	factory  informers.SharedInformerFactory
	informer cache.SharedIndexInformer
	watch    *watch
	synced   atomic.Bool
}

// NewNodePods builds the watch of node's pods. Nothing is watched until Start.
func NewNodePods(client kubernetes.Interface, node string, logger *slog.Logger) (*NodePods, error) {
	onNode := fields.OneTermEqualSelector("spec.nodeName", node).String()
	f := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = onNode }),
		informers.WithTransform(namesOnly))
	n := &NodePods{factory: f, informer: f.Core().V1().Pods().Informer()}
	if err := n.informer.AddIndexers(cache.Indexers{byUID: podUIDs}); err != nil {
		return nil, fmt.Errorf("index pods by uid: %w", err)
	}
	w, err := newWatch("kubernetes", "pods:node", collection(resourceGVRs["pods"], "", onNode), n.informer, logger.With("node", node), false)
	if err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	n.watch = w
	return n, nil
}

// namesOnly keeps a pod's identity: the agent needs nothing else.
func namesOnly(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	out := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion}}
	if m, ok := p.Annotations[mirrorAnnotation]; ok {
		out.Annotations = map[string]string{mirrorAnnotation: m}
	}
	return out, nil
}

func podUIDs(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	uids := []string{string(p.UID)}
	if m := p.Annotations[mirrorAnnotation]; m != "" {
		uids = append(uids, m)
	}
	return uids, nil
}

// Start watches until ctx is done or stop is called.
func (n *NodePods) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	n.factory.Start(ctx.Done())
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), n.informer.HasSynced) {
			n.synced.Store(true)
		}
	}()
	return func() {
		cancel()
		n.factory.Shutdown()
	}
}

// Pod names the pod with uid (or the static pod whose mirror carries it).
// synced is false until the first list completed: before that, not finding
// a pod says nothing.
func (n *NodePods) Pod(uid string) (namespace, name string, found, synced bool) {
	objs, err := n.informer.GetIndexer().ByIndex(byUID, uid)
	if err == nil && len(objs) > 0 {
		p := objs[0].(*corev1.Pod)
		return p.Namespace, p.Name, true, true
	}
	return "", "", false, n.synced.Load()
}

// Status reports the watch of this node's pods like every other informer.
func (n *NodePods) Status() []cluster.ResourceStatus {
	return []cluster.ResourceStatus{n.watch.status()}
}
