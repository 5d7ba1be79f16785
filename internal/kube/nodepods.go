package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// mirrorAnnotation holds, on a static pod's mirror, the UID the kubelet
// runs the static pod under (and names its cgroup after).
const mirrorAnnotation = "kubernetes.io/config.mirror"

const byUID = "uid"

// NodePods knows the pods on one node by UID, for the agent to name the
// pod a process runs in. It watches only that node's pods (a field
// selector: the API server filters), keeping their names alone. It needs
// a core/v1 client only: the agent links no other API group's client,
// informer or lister (their code would be resident on every node).
type NodePods struct {
	informer cache.SharedIndexInformer
	watch    *watch
	synced   atomic.Bool
}

// NewNodePods builds the watch of node's pods on client, a REST client
// for core/v1 (CoreV1Client). Nothing is watched until Start.
func NewNodePods(client cache.Getter, node string, logger *slog.Logger) (*NodePods, error) {
	onNode := fields.OneTermEqualSelector("spec.nodeName", node).String()
	lw := cache.NewFilteredListWatchFromClient(client, "pods", metav1.NamespaceAll, func(o *metav1.ListOptions) { o.FieldSelector = onNode })
	inf := cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{byUID: podUIDs})
	if err := inf.SetTransform(namesOnly); err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	w, err := newWatch("kubernetes", "pods:node", apitransport.Collection(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "", onNode), inf, logger.With("node", node))
	if err != nil {
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	return &NodePods{informer: inf, watch: w}, nil
}

// CoreV1Client is a REST client for core/v1 alone, asking for protobuf:
// client-go's typed clients register every API group's types in their
// scheme, and the agent would carry all their code for the one it reads.
func CoreV1Client(rc *rest.Config) (*rest.RESTClient, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	metav1.AddToGroupVersion(scheme, corev1.SchemeGroupVersion)
	c := rest.CopyConfig(rc)
	c.GroupVersion = &corev1.SchemeGroupVersion
	c.APIPath = "/api"
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	c.ContentType = "application/vnd.kubernetes.protobuf"
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	client, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("kubernetes core/v1 client: %w", err)
	}
	return client, nil
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
		p := objs[0].(*corev1.Pod)
		return p.Namespace, p.Name, true, true
	}
	return "", "", false, n.synced.Load()
}

// Status reports the watch of this node's pods like every other informer.
func (n *NodePods) Status() []cluster.ResourceStatus {
	return []cluster.ResourceStatus{n.watch.status()}
}
