package cluster

import (
	"cmp"
	"fmt"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Workload kinds, as they appear in the owner_kind label.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindReplicaSet  = "ReplicaSet"
	KindDaemonSet   = "DaemonSet"
)

// Workload is a pod controller the analyzers reason about: a Deployment, a
// StatefulSet, a DaemonSet or a ReplicaSet without a controller owner.
type Workload struct {
	Kind     string
	Meta     *metav1.ObjectMeta
	Replicas int32 // desired; DaemonSets report 0 (one per eligible node)
	// Autoscaler is what scales the workload, if anything: Replicas is
	// then at least its minimum (a manifest may leave replicas unset; the
	// autoscaler never goes below its minimum).
	Autoscaler *Autoscaler
	Template   *Template
	// Pods are the workload's pods, terminating ones included, attributed
	// through controller owner references by UID (a Deployment's through
	// its ReplicaSets), so a re-created workload of the same name never
	// inherits its predecessor's pods.
	Pods []*Pod
}

// Autoscaler is a HorizontalPodAutoscaler or a KEDA ScaledObject.
type Autoscaler struct {
	Kind, Name string
	// Min is the fewest replicas it keeps: an HPA's minReplicas, a
	// ScaledObject's minReplicaCount (0: scaled to zero when idle).
	Min int32
}

// Autoscaler kinds.
const (
	KindHPA          = "HorizontalPodAutoscaler"
	KindScaledObject = "ScaledObject"
)

// Workloads returns every workload of the snapshot with its pods, sorted by
// namespace, kind and name. A ReplicaSet owned by anything but a
// Deployment (an Argo Rollout, say) is neither a workload nor a link: its
// owner is unknown here, so its pods belong to no workload.
// The result is shared by every caller of a memoized snapshot: read only.
func Workloads(s *Snapshot) []*Workload {
	if m := s.memo; m != nil {
		m.once.Do(func() { m.workloads = workloads(s) })
		return m.workloads
	}
	return workloads(s)
}

func workloads(s *Snapshot) []*Workload {
	var out []*Workload
	byUID := map[types.UID]*Workload{}
	add := func(kind string, meta *metav1.ObjectMeta, replicas *int32, tmpl *Template) {
		w := &Workload{Kind: kind, Meta: meta, Replicas: desired(replicas), Template: tmpl}
		if kind == KindDaemonSet {
			w.Replicas = 0
		}
		byUID[meta.UID] = w
		out = append(out, w)
	}
	for _, d := range s.Deployments {
		t := &d.Spec.Template
		if t.Spec == nil { // built by hand without one
			t = &Template{Labels: t.Labels, Annotations: t.Annotations, Spec: &corev1.PodSpec{}}
		}
		add(KindDeployment, &d.ObjectMeta, d.Spec.Replicas, t)
	}
	for _, ss := range s.StatefulSets {
		add(KindStatefulSet, &ss.ObjectMeta, ss.Spec.Replicas, TemplateOf(&ss.Spec.Template))
	}
	for _, ds := range s.DaemonSets {
		add(KindDaemonSet, &ds.ObjectMeta, nil, TemplateOf(&ds.Spec.Template))
	}
	rsOwner := map[types.UID]*Workload{}
	for _, rs := range s.OwnedReplicaSets {
		if rs.Owner.Kind == KindDeployment {
			if w := byUID[rs.Owner.UID]; w != nil {
				rsOwner[rs.UID] = w
			}
		}
	}
	for _, rs := range s.ReplicaSets {
		if ref := ControllerOf(rs.OwnerReferences); ref != nil {
			if ref.Kind == KindDeployment {
				if w := byUID[ref.UID]; w != nil {
					rsOwner[rs.UID] = w
				}
			}
			continue
		}
		add(KindReplicaSet, &rs.ObjectMeta, rs.Spec.Replicas, TemplateOf(&rs.Spec.Template))
		rsOwner[rs.UID] = byUID[rs.UID]
	}
	if len(s.HorizontalPodAutoscalers)+len(s.ScaledObjects) > 0 {
		byName := make(map[[3]string]*Workload, len(out))
		for _, w := range out {
			byName[[3]string{w.Kind, w.Meta.Namespace, w.Meta.Name}] = w
		}
		scale := func(a *Autoscaler, kind, namespace, name string) {
			if w := byName[[3]string{kind, namespace, name}]; w != nil && w.Kind != KindDaemonSet {
				w.Autoscaler = a
				w.Replicas = max(w.Replicas, a.Min)
			}
		}
		for _, h := range s.HorizontalPodAutoscalers {
			scale(&Autoscaler{Kind: KindHPA, Name: h.Name, Min: HPAMin(h)}, h.Spec.ScaleTargetRef.Kind, h.Namespace, h.Spec.ScaleTargetRef.Name)
		}
		// After the HPAs: a ScaledObject owns the HPA KEDA makes for it
		// (keda-hpa-<name>), and its minReplicaCount is the one set.
		for _, so := range s.ScaledObjects {
			scale(&Autoscaler{Kind: KindScaledObject, Name: so.Name, Min: so.MinReplicaCount}, so.TargetKind, so.Namespace, so.TargetName)
		}
	}
	for _, p := range s.Pods {
		ref := ControllerOf(p.OwnerReferences)
		if ref == nil {
			continue
		}
		var w *Workload
		switch ref.Kind {
		case KindReplicaSet:
			w = rsOwner[ref.UID]
		case KindStatefulSet, KindDaemonSet:
			w = byUID[ref.UID]
		case KindDeployment:
			// Never in a cluster (a Deployment's pods are its
			// ReplicaSets'), but WithTemplatePods' pods are.
			w = byUID[ref.UID]
		}
		if w != nil {
			w.Pods = append(w.Pods, p)
		}
	}
	slices.SortFunc(out, func(a, b *Workload) int {
		return cmp.Or(cmp.Compare(a.Meta.Namespace, b.Meta.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Meta.Name, b.Meta.Name))
	})
	return out
}

// HPAMin is the autoscaler's minReplicas (1 when unset, as the API server
// defaults it).
func HPAMin(h *autoscalingv2.HorizontalPodAutoscaler) int32 {
	if h.Spec.MinReplicas == nil {
		return 1
	}
	return *h.Spec.MinReplicas
}

func desired(r *int32) int32 {
	if r == nil {
		return 1 // the API server's default for Deployments, StatefulSets and ReplicaSets
	}
	return *r
}

// ControllerOf returns the controller reference without copying it
// (metav1.GetControllerOf allocates one per call: 150,000 per analysis).
func ControllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if c := refs[i].Controller; c != nil && *c {
			return &refs[i]
		}
	}
	return nil
}

// PodReady reports whether a pod counts as a ready replica: running, Ready
// condition true, and not being deleted (a terminating pod is about to stop
// serving even while its condition still says Ready).
func PodReady(p *Pod) bool {
	return !p.Terminating && p.Phase == corev1.PodRunning && p.Ready
}

// WithTemplatePods returns s plus, for each workload of which s holds no
// pod, the pods its template would make (audit of manifests: a directory
// may hold some workloads' pods and not others'). Each is decided on its
// own: a bare pod elsewhere in the input must not switch every other
// workload from its template to "no pods". DaemonSets are left out: how
// many pods they make depends on nodes. The pods are Pending, on no node.
func WithTemplatePods(s *Snapshot) *Snapshot {
	out := *s
	out.memo = nil // other pods: its own workloads
	out.Pods = slices.Clone(s.Pods)
	controller := true
	for _, w := range Workloads(s) {
		if w.Kind == KindDaemonSet || len(w.Pods) > 0 {
			continue
		}
		owner := []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: w.Kind, Name: w.Meta.Name, UID: w.Meta.UID, Controller: &controller}}
		for i := range w.Replicas {
			name := fmt.Sprintf("%s-template-%d", w.Meta.Name, i)
			out.Pods = append(out.Pods, &Pod{
				Namespace: w.Meta.Namespace, Name: name,
				Labels: w.Template.Labels, OwnerReferences: owner, Phase: corev1.PodPending,
			})
		}
	}
	return &out
}
