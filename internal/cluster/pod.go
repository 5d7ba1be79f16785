package cluster

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Pod is what analysis reads of a pod. Pods are the bulk of a cluster
// (150,000 at 5,000 nodes): a corev1.Pod is 1,240 bytes before any of its
// strings, maps and slices, this is under 170, and the pods of one
// ReplicaSet share their labels and owner references in the informer
// cache. Workload templates, not pods, carry probes and resources.
//
// Pod implements metav1.Object (its identity; setters do nothing) and
// runtime.Object so informer caches can hold it in place of the pod.
type Pod struct {
	objectStub
	Namespace, Name string
	// No UID: nothing reads a pod's, and at 150,000 pods it is 9 MB.
	ResourceVersion string
	Labels          map[string]string
	OwnerReferences []metav1.OwnerReference
	NodeName        string
	PodIP           string
	Phase           corev1.PodPhase
	// Ready is the pod's Ready condition.
	Ready bool
	// Terminating: the pod has a deletion timestamp.
	Terminating bool
	// CrashLooping: a container (init containers too) waits in
	// CrashLoopBackOff.
	CrashLooping bool
	// Priority is the pod's resolved priority (admission sets it from its
	// PriorityClass): the scheduler's queue order and preemption.
	Priority int32
	// BareSpec holds a bare pod's containers (names, resources, ports,
	// probes): with no controller there is no template to read them from.
	// Nil for pods with a controller.
	BareSpec *corev1.PodSpec
}

// PodFrom converts p. The result shares p's labels, owner references and
// containers.
func PodFrom(p *corev1.Pod) *Pod {
	out := &Pod{
		Namespace: p.Namespace, Name: p.Name, ResourceVersion: p.ResourceVersion,
		Labels: p.Labels, OwnerReferences: p.OwnerReferences,
		NodeName: p.Spec.NodeName, PodIP: p.Status.PodIP, Phase: p.Status.Phase,
		Terminating: p.DeletionTimestamp != nil,
	}
	if p.Spec.Priority != nil {
		out.Priority = *p.Spec.Priority
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	for _, statuses := range [][]corev1.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for _, c := range statuses {
			if c.State.Waiting != nil && c.State.Waiting.Reason == "CrashLoopBackOff" {
				out.CrashLooping = true
			}
		}
	}
	if ControllerOf(p.OwnerReferences) == nil {
		out.BareSpec = &corev1.PodSpec{Containers: p.Spec.Containers, InitContainers: p.Spec.InitContainers}
	}
	return out
}

// Pods converts each pod (tests, audit).
func Pods(ps ...*corev1.Pod) []*Pod {
	out := make([]*Pod, len(ps))
	for i, p := range ps {
		out[i] = PodFrom(p)
	}
	return out
}

// GetNamespace returns the pod's namespace.
func (p *Pod) GetNamespace() string { return p.Namespace }

// GetName returns the pod's name.
func (p *Pod) GetName() string { return p.Name }

// GetUID returns nothing: the UID is not kept.
func (p *Pod) GetUID() types.UID { return "" }

// GetResourceVersion returns the pod's resource version.
func (p *Pod) GetResourceVersion() string { return p.ResourceVersion }

// GetLabels returns the pod's labels (shared: read-only).
func (p *Pod) GetLabels() map[string]string { return p.Labels }

// GetOwnerReferences returns the pod's owner references (shared: read-only).
func (p *Pod) GetOwnerReferences() []metav1.OwnerReference { return p.OwnerReferences }

// GetObjectKind reports no kind: a Pod is never encoded.
func (p *Pod) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject copies the pod's own fields; labels, owner references
// and containers stay shared (they are never written).
func (p *Pod) DeepCopyObject() runtime.Object {
	c := *p
	return &c
}

// objectStub completes metav1.Object for types that only carry an
// identity: every getter returns nothing, every setter does nothing.
type objectStub struct{}

func (objectStub) SetNamespace(string)                           {}
func (objectStub) SetName(string)                                {}
func (objectStub) GetGenerateName() string                       { return "" }
func (objectStub) SetGenerateName(string)                        {}
func (objectStub) SetUID(types.UID)                              {}
func (objectStub) SetResourceVersion(string)                     {}
func (objectStub) GetGeneration() int64                          { return 0 }
func (objectStub) SetGeneration(int64)                           {}
func (objectStub) GetSelfLink() string                           { return "" }
func (objectStub) SetSelfLink(string)                            {}
func (objectStub) GetCreationTimestamp() metav1.Time             { return metav1.Time{} }
func (objectStub) SetCreationTimestamp(metav1.Time)              {}
func (objectStub) GetDeletionTimestamp() *metav1.Time            { return nil }
func (objectStub) SetDeletionTimestamp(*metav1.Time)             {}
func (objectStub) GetDeletionGracePeriodSeconds() *int64         { return nil }
func (objectStub) SetDeletionGracePeriodSeconds(*int64)          {}
func (objectStub) SetLabels(map[string]string)                   {}
func (objectStub) GetAnnotations() map[string]string             { return nil }
func (objectStub) SetAnnotations(map[string]string)              {}
func (objectStub) GetFinalizers() []string                       { return nil }
func (objectStub) SetFinalizers([]string)                        {}
func (objectStub) SetOwnerReferences([]metav1.OwnerReference)    {}
func (objectStub) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }
func (objectStub) SetManagedFields([]metav1.ManagedFieldsEntry)  {}

var (
	_ metav1.Object  = (*Pod)(nil)
	_ runtime.Object = (*Pod)(nil)
)
