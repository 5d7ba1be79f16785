package testenv

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
)

// NodeSpec describes a test Node.
type NodeSpec struct {
	Name string
	// Zone sets topology.kubernetes.io/zone; empty leaves the node zoneless.
	Zone          string
	Labels        map[string]string
	Unschedulable bool
	Taints        []corev1.Taint
	// CPU, Memory and Pods set capacity and allocatable; defaults 4, 16Gi, 110.
	CPU, Memory string
	Pods        int64
	// Extended adds capacity and allocatable of extended resources
	// (nvidia.com/gpu: 2), as a device plugin would.
	Extended corev1.ResourceList
}

// CreateNode creates a Node and sets its status (capacity, allocatable,
// Ready) through the status subresource, as a kubelet registering would.
func (e *Env) CreateNode(s NodeSpec) *corev1.Node {
	e.t.Helper()
	ctx := context.Background()
	l := map[string]string{corev1.LabelHostname: s.Name}
	for k, v := range s.Labels {
		l[k] = v
	}
	if s.Zone != "" {
		l[corev1.LabelTopologyZone] = s.Zone
	}
	n, err := e.Client.CoreV1().Nodes().Create(ctx, &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: l},
		Spec:       corev1.NodeSpec{Unschedulable: s.Unschedulable, Taints: s.Taints},
	}, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("testenv: create node %s: %v", s.Name, err)
	}
	cpu, mem, pods := or(s.CPU, "4"), or(s.Memory, "16Gi"), s.Pods
	if pods == 0 {
		pods = 110
	}
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(mem),
		corev1.ResourcePods:   *resource.NewQuantity(pods, resource.DecimalSI),
	}
	for name, q := range s.Extended {
		res[name] = q
	}
	nodes := e.Client.CoreV1().Nodes()
	n = e.updateNode(ctx, n, "set status", func(n *corev1.Node) bool {
		n.Status.Capacity, n.Status.Allocatable = res, res
		n.Status.Conditions = []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(),
		}}
		return true
	}, nodes.UpdateStatus)
	// The TaintNodesByCondition admission plugin creates every node with
	// the not-ready NoSchedule taint; the node lifecycle controller lifts
	// it once the node reports Ready, as this one just did.
	n = e.updateNode(ctx, n, "lift the not-ready taint", func(n *corev1.Node) bool {
		kept := n.Spec.Taints[:0:0]
		for _, t := range n.Spec.Taints {
			if t.Key != corev1.TaintNodeNotReady {
				kept = append(kept, t)
			}
		}
		changed := len(kept) != len(n.Spec.Taints)
		n.Spec.Taints = kept
		return changed
	}, nodes.Update)
	return n
}

// Cordon marks a node unschedulable (or schedulable again).
func (e *Env) Cordon(name string, unschedulable bool) {
	e.t.Helper()
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%t}}`, unschedulable)
	if _, err := e.Client.CoreV1().Nodes().Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		e.t.Fatalf("testenv: cordon node %s: %v", name, err)
	}
}

// EnsureNamespace creates the namespace and its default ServiceAccount
// (no controller manager makes it here, and Pod admission requires it).
func (e *Env) EnsureNamespace(name string) {
	e.t.Helper()
	ctx := context.Background()
	_, err := e.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		e.t.Fatalf("testenv: create namespace %s: %v", name, err)
	}
	_, err = e.Client.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		e.t.Fatalf("testenv: create default serviceaccount in %s: %v", name, err)
	}
}

// PodTemplate returns a minimal valid pod template labelled app=<app>.
func PodTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}},
		},
	}
}

// CreateDeployment creates a Deployment of app=<name> with the given
// replicas; mutate, if set, edits it before creation.
func (e *Env) CreateDeployment(namespace, name string, replicas int32, mutate func(*appsv1.Deployment)) *appsv1.Deployment {
	e.t.Helper()
	e.EnsureNamespace(namespace)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: PodTemplate(name),
		},
	}
	if mutate != nil {
		mutate(d)
	}
	d, err := e.Client.AppsV1().Deployments(namespace).Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("testenv: create deployment %s/%s: %v", namespace, name, err)
	}
	return d
}

// CreateReplicaSet creates a ReplicaSet with the Deployment's template,
// owned by it (owner may be nil for a bare ReplicaSet of app=<name>), as
// the deployment controller would.
func (e *Env) CreateReplicaSet(namespace, name string, replicas int32, owner *appsv1.Deployment, mutate func(*appsv1.ReplicaSet)) *appsv1.ReplicaSet {
	e.t.Helper()
	e.EnsureNamespace(namespace)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: PodTemplate(name),
		},
	}
	if owner != nil {
		rs.Spec.Selector = owner.Spec.Selector
		rs.Spec.Template = owner.Spec.Template
		rs.OwnerReferences = []metav1.OwnerReference{ControllerRef("Deployment", &owner.ObjectMeta)}
	}
	if mutate != nil {
		mutate(rs)
	}
	rs, err := e.Client.AppsV1().ReplicaSets(namespace).Create(context.Background(), rs, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("testenv: create replicaset %s/%s: %v", namespace, name, err)
	}
	return rs
}

// CreateStatefulSet creates a StatefulSet of app=<name>.
func (e *Env) CreateStatefulSet(namespace, name string, replicas int32, mutate func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	e.t.Helper()
	e.EnsureNamespace(namespace)
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			ServiceName: name,
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template:    PodTemplate(name),
		},
	}
	if mutate != nil {
		mutate(s)
	}
	s, err := e.Client.AppsV1().StatefulSets(namespace).Create(context.Background(), s, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("testenv: create statefulset %s/%s: %v", namespace, name, err)
	}
	return s
}

// ControllerRef is the controller owner reference a controller sets on
// what it creates.
func ControllerRef(kind string, owner *metav1.ObjectMeta) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{
		APIVersion: "apps/v1", Kind: kind, Name: owner.Name, UID: owner.UID,
		Controller: &t, BlockOwnerDeletion: &t,
	}
}

// PodSpec describes a test Pod and the status a kubelet would report.
type PodSpec struct {
	Namespace, Name string
	// OwnerKind/Owner set the controller owner reference (kind ReplicaSet
	// or StatefulSet); nil Owner makes a bare pod.
	OwnerKind string
	Owner     *metav1.ObjectMeta
	Labels    map[string]string
	Node      string
	Ready     bool
	// PodIP is reported in status; loopback addresses (127.0.0.x) are
	// accepted, so tests can serve a pod's endpoints locally.
	PodIP string
}

// CreatePod creates the pod bound to Node and reports it Running with the
// given readiness through the status subresource.
func (e *Env) CreatePod(s PodSpec) *corev1.Pod {
	e.t.Helper()
	e.EnsureNamespace(s.Namespace)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, Labels: s.Labels},
		Spec: corev1.PodSpec{
			NodeName:   s.Node,
			Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}},
		},
	}
	if s.Owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{ControllerRef(s.OwnerKind, s.Owner)}
	}
	p, err := e.Client.CoreV1().Pods(s.Namespace).Create(context.Background(), p, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("testenv: create pod %s/%s: %v", s.Namespace, s.Name, err)
	}
	return e.SetPodStatus(p, s.Ready, s.PodIP)
}

// SetPodStatus reports the pod Running with the Ready condition set to
// ready, as the kubelet does after its probes.
func (e *Env) SetPodStatus(p *corev1.Pod, ready bool, podIP string) *corev1.Pod {
	e.t.Helper()
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	now := metav1.Now()
	p = p.DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: cond, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: cond, LastTransitionTime: now},
	}
	if podIP != "" {
		p.Status.PodIP = podIP
		p.Status.PodIPs = []corev1.PodIP{{IP: podIP}}
	}
	p, err := e.Client.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
	if err != nil {
		e.t.Fatalf("testenv: set status of pod %s/%s: %v", p.Namespace, p.Name, err)
	}
	return p
}

// SetPodCrashLooping reports the pod Running, not ready, its container
// waiting in CrashLoopBackOff after 5 restarts, as the kubelet does.
func (e *Env) SetPodCrashLooping(p *corev1.Pod) *corev1.Pod {
	e.t.Helper()
	p = e.SetPodStatus(p, false, "").DeepCopy()
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: p.Spec.Containers[0].Name, Image: p.Spec.Containers[0].Image, RestartCount: 5,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 2m40s restarting failed container"}},
	}}
	p, err := e.Client.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
	if err != nil {
		e.t.Fatalf("testenv: set pod %s/%s crash-looping: %v", p.Namespace, p.Name, err)
	}
	return p
}

// DeletePod deletes the pod at once (grace period 0), as a kubelet
// confirming termination would finish it.
func (e *Env) DeletePod(namespace, name string) {
	e.t.Helper()
	zero := int64(0)
	if err := e.Client.CoreV1().Pods(namespace).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		e.t.Fatalf("testenv: delete pod %s/%s: %v", namespace, name, err)
	}
}

// PodsOn creates one ready pod per entry of nodes for the owner, named
// <prefix>-<i>, labelled like the owner's template.
func (e *Env) PodsOn(namespace, prefix, ownerKind string, owner *metav1.ObjectMeta, tmplLabels map[string]string, nodes ...string) []*corev1.Pod {
	e.t.Helper()
	var out []*corev1.Pod
	for i, n := range nodes {
		out = append(out, e.CreatePod(PodSpec{
			Namespace: namespace, Name: fmt.Sprintf("%s-%d", prefix, i),
			OwnerKind: ownerKind, Owner: owner, Labels: tmplLabels, Node: n, Ready: true,
		}))
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// RunPods waits until n pods matching the label selector exist in the
// namespace (created by a controller), binds each to a node in turn as
// the scheduler would (the binding subresource), and reports them Running
// and Ready as a kubelet would. It returns them in name order.
func (e *Env) RunPods(namespace, selector string, n int, nodes ...string) []*corev1.Pod {
	e.t.Helper()
	ctx := context.Background()
	var pods []corev1.Pod
	Eventually(e.t, 60*time.Second, func() error {
		l, err := e.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return err
		}
		if len(l.Items) != n {
			return fmt.Errorf("%d pods match %s in %s, want %d", len(l.Items), selector, namespace, n)
		}
		pods = l.Items
		return nil
	})
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	var out []*corev1.Pod
	for i := range pods {
		p := &pods[i]
		node := nodes[i%len(nodes)]
		if p.Spec.NodeName == "" {
			err := e.Client.CoreV1().Pods(namespace).Bind(ctx, &corev1.Binding{
				ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: namespace},
				Target:     corev1.ObjectReference{Kind: "Node", Name: node},
			}, metav1.CreateOptions{})
			if err != nil {
				e.t.Fatalf("testenv: bind pod %s/%s to %s: %v", namespace, p.Name, node, err)
			}
			got, err := e.Client.CoreV1().Pods(namespace).Get(ctx, p.Name, metav1.GetOptions{})
			if err != nil {
				e.t.Fatalf("testenv: %v", err)
			}
			p = got
		}
		out = append(out, e.SetPodStatus(p, true, ""))
	}
	return out
}

// Evict asks the eviction subresource to evict the pod (grace period 0, as
// there is no kubelet to finish a graceful termination) and returns the
// API server's answer.
func (e *Env) Evict(namespace, name string) error {
	zero := int64(0)
	return e.Client.PolicyV1().Evictions(namespace).Evict(context.Background(), &policyv1.Eviction{
		ObjectMeta:    metav1.ObjectMeta{Name: name, Namespace: namespace},
		DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: &zero},
	})
}

// nodeConflicts bounds the tries of one node update: controllers may touch
// a new Node first.
var nodeConflicts = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 1.5, Jitter: 0.1}

// updateNode applies change to n and writes it with write; on a conflict
// it reads the node again and retries, as a kubelet does. A change that
// reports nothing to do writes nothing.
func (e *Env) updateNode(ctx context.Context, n *corev1.Node, what string, change func(*corev1.Node) bool,
	write func(context.Context, *corev1.Node, metav1.UpdateOptions) (*corev1.Node, error)) *corev1.Node {
	err := retry.RetryOnConflict(nodeConflicts, func() error {
		if !change(n) {
			return nil
		}
		updated, err := write(ctx, n, metav1.UpdateOptions{})
		if err == nil {
			n = updated
			return nil
		}
		if apierrors.IsConflict(err) {
			latest, getErr := e.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if getErr != nil {
				return getErr
			}
			n = latest
		}
		return err
	})
	if err != nil {
		e.t.Fatalf("testenv: %s of node %s: %v", what, n.Name, err)
	}
	return n
}
