package cluster

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// OwnedReplicaSet is what analysis reads of a ReplicaSet that has a
// controller (a Deployment's): the link from its pods to that owner
// (Workloads). There are as many as Deployments (15,000 at 5,000 nodes):
// a trimmed appsv1.ReplicaSet still costs ~1,650 bytes in the cache, its
// empty template included; this ~250.
//
// It implements metav1.Object (its identity; setters do nothing) and
// runtime.Object so informer caches can hold it in place of the
// ReplicaSet.
type OwnedReplicaSet struct {
	objectStub
	Namespace, Name string
	UID             types.UID
	ResourceVersion string
	// Owner is its controller reference.
	Owner metav1.OwnerReference
}

func (r *OwnedReplicaSet) GetNamespace() string             { return r.Namespace }
func (r *OwnedReplicaSet) GetName() string                  { return r.Name }
func (r *OwnedReplicaSet) GetUID() types.UID                { return r.UID }
func (r *OwnedReplicaSet) GetResourceVersion() string       { return r.ResourceVersion }
func (r *OwnedReplicaSet) GetLabels() map[string]string     { return nil }
func (r *OwnedReplicaSet) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// GetOwnerReferences is its controller reference alone.
func (r *OwnedReplicaSet) GetOwnerReferences() []metav1.OwnerReference {
	return []metav1.OwnerReference{r.Owner}
}

// DeepCopyObject copies it (its fields are values and strings).
func (r *OwnedReplicaSet) DeepCopyObject() runtime.Object {
	c := *r
	return &c
}

var (
	_ metav1.Object  = (*OwnedReplicaSet)(nil)
	_ runtime.Object = (*OwnedReplicaSet)(nil)
)
