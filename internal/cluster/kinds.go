//go:build !agentonly

package cluster

import (
	"fmt"
	"reflect"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kind is one kind of object the exporter reads, declared once: the
// informers (internal/kube), the snapshot, manifest decoding
// (internal/manifest) and audit's identities are all built from Kinds.
// Adding a kind is adding a line to Kinds and a field to Snapshot.
type Kind struct {
	// Name is the kind as manifests spell it ("Deployment").
	Name string
	// Resource is the API path its informer lists and watches; Resource
	// plus Name give the GroupVersionKind manifests are matched on.
	Resource schema.GroupVersionResource
	// Namespaced kinds live in a namespace: a manifest that omits it
	// means "default".
	Namespaced bool
	// Core kinds are read by every workload analysis: until their caches
	// sync no snapshot is served (a partial list yields wrong numbers).
	// Any other kind holds back only the analyses that read it.
	Core bool
	// Watched is false for a kind an informer cannot watch from the
	// start: KEDA's ScaledObject is a CRD, watched once it is served.
	Watched bool
	// New returns an empty object of the API type, to decode into.
	New func() runtime.Object
	// Trim keeps what analysis reads of an object before it enters the
	// informer cache (Transform); nil keeps all but managed fields.
	Trim func(any) any
	// add appends objs, of the API type or Trim's result, to their field
	// of a snapshot; false when one is of another type.
	add func(s *Snapshot, objs ...any) bool
}

// GVK is the group, version and kind manifests name it by.
func (k *Kind) GVK() schema.GroupVersionKind {
	return k.Resource.GroupVersion().WithKind(k.Name)
}

// Kinds are every kind the exporter reads, core kinds first.
var Kinds = []*Kind{
	typed(corev1.SchemeGroupVersion, "nodes", "Node", clusterScoped|core, func(s *Snapshot) *[]*corev1.Node { return &s.Nodes }).trim(trimNode),
	// The pod cache holds Pod, not corev1.Pod; manifests give corev1.Pod.
	podKind(),
	// The cache holds Deployment, not appsv1.Deployment.
	deploymentKind(),
	typed(appsv1.SchemeGroupVersion, "statefulsets", "StatefulSet", core, func(s *Snapshot) *[]*appsv1.StatefulSet { return &s.StatefulSets }).trim(trimStatefulSet),
	// The cache holds OwnedReplicaSet for those with a controller.
	replicaSetKind(),
	typed(appsv1.SchemeGroupVersion, "daemonsets", "DaemonSet", core, func(s *Snapshot) *[]*appsv1.DaemonSet { return &s.DaemonSets }).trim(trimDaemonSet),
	typed(policyv1.SchemeGroupVersion, "poddisruptionbudgets", "PodDisruptionBudget", 0, func(s *Snapshot) *[]*policyv1.PodDisruptionBudget { return &s.PodDisruptionBudgets }),
	typed(corev1.SchemeGroupVersion, "namespaces", "Namespace", clusterScoped, func(s *Snapshot) *[]*corev1.Namespace { return &s.Namespaces }),
	typed(corev1.SchemeGroupVersion, "resourcequotas", "ResourceQuota", 0, func(s *Snapshot) *[]*corev1.ResourceQuota { return &s.ResourceQuotas }),
	typed(corev1.SchemeGroupVersion, "limitranges", "LimitRange", 0, func(s *Snapshot) *[]*corev1.LimitRange { return &s.LimitRanges }),
	typed(networkingv1.SchemeGroupVersion, "ingressclasses", "IngressClass", clusterScoped, func(s *Snapshot) *[]*networkingv1.IngressClass { return &s.IngressClasses }),
	typed(networkingv1.SchemeGroupVersion, "ingresses", "Ingress", 0, func(s *Snapshot) *[]*networkingv1.Ingress { return &s.Ingresses }),
	typed(corev1.SchemeGroupVersion, "services", "Service", 0, func(s *Snapshot) *[]*corev1.Service { return &s.Services }),
	typed(autoscalingv2.SchemeGroupVersion, "horizontalpodautoscalers", "HorizontalPodAutoscaler", 0, func(s *Snapshot) *[]*autoscalingv2.HorizontalPodAutoscaler {
		return &s.HorizontalPodAutoscalers
	}),
	typed(admissionregistrationv1.SchemeGroupVersion, "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", clusterScoped,
		func(s *Snapshot) *[]*admissionregistrationv1.ValidatingWebhookConfiguration {
			return &s.ValidatingWebhookConfigurations
		}),
	typed(admissionregistrationv1.SchemeGroupVersion, "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", clusterScoped,
		func(s *Snapshot) *[]*admissionregistrationv1.MutatingWebhookConfiguration {
			return &s.MutatingWebhookConfigurations
		}),
	typed(corev1.SchemeGroupVersion, "persistentvolumeclaims", "PersistentVolumeClaim", 0, func(s *Snapshot) *[]*corev1.PersistentVolumeClaim {
		return &s.PersistentVolumeClaims
	}).trim(trimClaim),
	typed(corev1.SchemeGroupVersion, "persistentvolumes", "PersistentVolume", clusterScoped, func(s *Snapshot) *[]*corev1.PersistentVolume { return &s.PersistentVolumes }).trim(trimVolume),
	scaledObjectKind(),
}

// scope says where a kind lives and whether every analysis needs it.
type scope int

const (
	clusterScoped scope = 1 << iota // no namespace
	core                            // read by every workload analysis
)

// typed declares a kind of the API type P whose objects go to field.
func typed[T any, P interface {
	*T
	runtime.Object
}](gv schema.GroupVersion, resource, name string, sc scope, field func(*Snapshot) *[]P) *Kind {
	return &Kind{Name: name, Resource: gv.WithResource(resource), Namespaced: sc&clusterScoped == 0, Core: sc&core != 0, Watched: true,
		New: func() runtime.Object { return P(new(T)) },
		add: func(s *Snapshot, objs ...any) bool {
			return appendAll(field(s), objs, func(o any) (P, bool) { p, ok := o.(P); return p, ok })
		}}
}

// appendAll appends objs to field, each as conv makes it; false (and
// field as far as it got) at the first conv refuses.
func appendAll[T any](field *[]T, objs []any, conv func(any) (T, bool)) bool {
	*field = slices.Grow(*field, len(objs))
	for _, o := range objs {
		t, ok := conv(o)
		if !ok {
			return false
		}
		*field = append(*field, t)
	}
	return true
}

// asPod is what snapshots hold of a pod: the cache's Pod as is, an API
// pod (a manifest) as PodFrom reads it.
func asPod(obj any) (*Pod, bool) {
	switch p := obj.(type) {
	case *Pod:
		return p, true
	case *corev1.Pod:
		return PodFrom(p), true
	}
	return nil, false
}

func (k *Kind) trim(f func(any) any) *Kind {
	k.Trim = f
	return k
}

func podKind() *Kind {
	k := &Kind{Name: KindPod, Resource: corev1.SchemeGroupVersion.WithResource("pods"), Namespaced: true, Core: true, Watched: true,
		New:  func() runtime.Object { return &corev1.Pod{} },
		Trim: func(o any) any { return TrimPod(o.(*corev1.Pod)) },
		add:  func(s *Snapshot, objs ...any) bool { return appendAll(&s.Pods, objs, asPod) }}
	return k
}

func deploymentKind() *Kind {
	return &Kind{Name: "Deployment", Resource: appsv1.SchemeGroupVersion.WithResource("deployments"), Namespaced: true, Core: true, Watched: true,
		New:  func() runtime.Object { return &appsv1.Deployment{} },
		Trim: trimDeployment,
		add:  func(s *Snapshot, objs ...any) bool { return appendAll(&s.Deployments, objs, asDeployment) }}
}

func replicaSetKind() *Kind {
	k := typed(appsv1.SchemeGroupVersion, "replicasets", "ReplicaSet", core, func(s *Snapshot) *[]*appsv1.ReplicaSet { return &s.ReplicaSets }).trim(trimReplicaSet)
	k.add = func(s *Snapshot, objs ...any) bool {
		s.OwnedReplicaSets = slices.Grow(s.OwnedReplicaSets, len(objs)) // most are
		for _, o := range objs {
			switch r := o.(type) {
			case *OwnedReplicaSet:
				s.OwnedReplicaSets = append(s.OwnedReplicaSets, r)
			case *appsv1.ReplicaSet:
				s.ReplicaSets = append(s.ReplicaSets, r)
			default:
				return false
			}
		}
		return true
	}
	return k
}

// ScaledObjectGVR is KEDA's ScaledObject, a CRD: watched by
// internal/kube once served, decoded by internal/manifest without KEDA's
// types, and held in snapshots as ScaledObject.
var ScaledObjectGVR = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"}

func scaledObjectKind() *Kind {
	return &Kind{Name: "ScaledObject", Resource: ScaledObjectGVR, Namespaced: true,
		add: func(s *Snapshot, objs ...any) bool {
			return appendAll(&s.ScaledObjects, objs, func(o any) (ScaledObject, bool) { so, ok := o.(ScaledObject); return so, ok })
		}}
}

var (
	kindByResource = map[string]*Kind{}
	kindByGVK      = map[schema.GroupVersionKind]*Kind{}
	kindByType     = map[reflect.Type]*Kind{}
)

func init() {
	for _, k := range Kinds {
		kindByResource[k.Resource.Resource] = k
		kindByGVK[k.GVK()] = k
		if k.New != nil {
			kindByType[reflect.TypeOf(k.New())] = k
		}
	}
}

// KindOfResource is the kind an informer of resource ("pods") watches.
func KindOfResource(resource string) (*Kind, bool) {
	k, ok := kindByResource[resource]
	return k, ok
}

// KindOf is the kind manifests name gvk by; false for a kind analysis
// does not read.
func KindOf(gvk schema.GroupVersionKind) (*Kind, bool) {
	k, ok := kindByGVK[gvk]
	return k, ok
}

// KindOfObject is the kind of obj: an object of a kind's API type, what
// its Trim made of one, or a ScaledObject.
func KindOfObject(obj any) (*Kind, bool) {
	switch obj.(type) {
	case *Pod:
		return kindByResource["pods"], true
	case *OwnedReplicaSet:
		return kindByResource["replicasets"], true
	case ScaledObject:
		return kindByResource[ScaledObjectGVR.Resource], true
	}
	k, ok := kindByType[reflect.TypeOf(obj)]
	return k, ok
}

// Resources names every kind's resource, in the order of Kinds.
func Resources(keep func(*Kind) bool) []string {
	var out []string
	for _, k := range Kinds {
		if keep == nil || keep(k) {
			out = append(out, k.Resource.Resource)
		}
	}
	return out
}

// Add puts obj in its field of s: an object of a kind's API type, what
// that kind's Trim made of one, or a ScaledObject.
func (s *Snapshot) Add(k *Kind, obj any) error {
	if !k.add(s, obj) {
		return fmt.Errorf("a %T is not a %s", obj, k.Name)
	}
	return nil
}

// AddAll puts objs, all of kind k, in their field of s.
func (s *Snapshot) AddAll(k *Kind, objs []any) error {
	if !k.add(s, objs...) {
		return fmt.Errorf("a %s list holds another type", k.Name)
	}
	return nil
}

// Transform trims objects before they enter the informer caches (each
// kind's Trim): analysis reads a few fields of each object, and at 5,000
// nodes the rest is most of the memory.
func Transform(obj any) (any, error) {
	if k, ok := kindByType[reflect.TypeOf(obj)]; ok && k.Trim != nil {
		return k.Trim(obj), nil
	}
	if o, ok := obj.(metav1.Object); ok {
		o.SetManagedFields(nil)
	}
	return obj, nil
}
