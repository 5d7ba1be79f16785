package cluster

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Deployment is what analysis reads of a Deployment: its metadata,
// replicas, selector, strategy and pod template, with the field paths of
// appsv1.Deployment. Deployments are the most numerous workloads (15,000
// at 5,000 nodes): an appsv1.Deployment struct is 1,232 bytes before any
// of its strings, maps and slices (two ObjectMetas and a PodSpec by
// value), this is ~300, and the informer cache's Deployments share one
// pod spec between equal trimmed templates.
//
// It implements metav1.Object (through its ObjectMeta) and runtime.Object
// so informer caches can hold it in place of the Deployment.
type Deployment struct {
	metav1.ObjectMeta
	Spec DeploymentSpec
}

// DeploymentSpec is what analysis reads of a Deployment's spec.
type DeploymentSpec struct {
	Replicas *int32
	Selector *metav1.LabelSelector
	// Strategy: loss reads whether it is Recreate.
	Strategy appsv1.DeploymentStrategy
	Template Template
}

// Template is what analysis reads of a workload's pod template: its
// labels, annotations and pod spec. Spec is a pointer so that equal specs
// are one (the informer cache's Deployments share them): read only.
type Template struct {
	Labels, Annotations map[string]string
	Spec                *corev1.PodSpec
}

// TemplateOf is t as a Template, sharing t's maps and spec.
func TemplateOf(t *corev1.PodTemplateSpec) *Template {
	return &Template{Labels: t.Labels, Annotations: t.Annotations, Spec: &t.Spec}
}

// DeploymentFrom converts d (manifests, tests). The result shares d's
// metadata maps, selector and pod spec.
func DeploymentFrom(d *appsv1.Deployment) *Deployment {
	t := &d.Spec.Template
	return &Deployment{ObjectMeta: d.ObjectMeta, Spec: DeploymentSpec{
		Replicas: d.Spec.Replicas, Selector: d.Spec.Selector, Strategy: d.Spec.Strategy,
		Template: Template{Labels: t.Labels, Annotations: t.Annotations, Spec: &t.Spec},
	}}
}

// Deployments converts each Deployment (tests).
func Deployments(ds ...*appsv1.Deployment) []*Deployment {
	out := make([]*Deployment, len(ds))
	for i, d := range ds {
		out[i] = DeploymentFrom(d)
	}
	return out
}

// asDeployment is what snapshots hold of a Deployment: the cache's as
// is, an API one (a manifest) converted.
func asDeployment(obj any) (*Deployment, bool) {
	switch d := obj.(type) {
	case *Deployment:
		return d, true
	case *appsv1.Deployment:
		return DeploymentFrom(d), true
	}
	return nil, false
}

// GetObjectKind: informer caches hold no type meta.
func (d *Deployment) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject copies d's struct; its maps, selector and spec are
// shared (nothing writes them).
func (d *Deployment) DeepCopyObject() runtime.Object {
	c := *d
	return &c
}

var (
	_ metav1.Object  = (*Deployment)(nil)
	_ runtime.Object = (*Deployment)(nil)
)
