package kube

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Transform trims objects before they enter the informer caches. Pods are
// the bulk of a cluster (150,000 at 5,000 nodes) and analysis reads only a
// few fields of each, so everything else is dropped on arrival. Workload
// templates, not pods, carry probes and resources.
func Transform(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return TrimPod(o), nil
	case *appsv1.ReplicaSet:
		trimMeta(&o.ObjectMeta)
		// A ReplicaSet owned by a Deployment is only an ownership link from
		// pod to Deployment; its template duplicates the Deployment's.
		if metav1.GetControllerOf(o) != nil {
			o.Spec.Template = corev1.PodTemplateSpec{}
		}
		return o, nil
	case metav1.Object:
		o.SetManagedFields(nil)
		return obj, nil
	}
	return obj, nil
}

func trimMeta(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	// Annotations hold last-applied configurations and other bulk that
	// analysis never reads.
	m.Annotations = nil
}

// TrimPod returns a copy of p holding only what analysis reads: identity,
// labels, owner references, deletion timestamp, node, phase and conditions;
// and, for a bare pod (no controller, so no template to read them from),
// its containers' names and resources.
func TrimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{
		TypeMeta: p.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name:              p.Name,
			Namespace:         p.Namespace,
			UID:               p.UID,
			ResourceVersion:   p.ResourceVersion,
			Labels:            p.Labels,
			OwnerReferences:   p.OwnerReferences,
			DeletionTimestamp: p.DeletionTimestamp,
		},
		Spec: corev1.PodSpec{NodeName: p.Spec.NodeName},
		Status: corev1.PodStatus{
			Phase: p.Status.Phase,
			// The health fetcher reads a ready pod's endpoints at its IP.
			PodIP: p.Status.PodIP,
		},
	}
	for _, c := range p.Status.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, corev1.PodCondition{Type: c.Type, Status: c.Status})
	}
	if metav1.GetControllerOf(p) == nil {
		out.Spec.Containers = trimContainers(p.Spec.Containers)
		out.Spec.InitContainers = trimContainers(p.Spec.InitContainers)
	}
	return out
}

func trimContainers(cs []corev1.Container) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		// Probes and ports: a bare pod's health checks are in the graph too.
		out = append(out, corev1.Container{Name: c.Name, Resources: c.Resources, Ports: c.Ports,
			LivenessProbe: c.LivenessProbe, ReadinessProbe: c.ReadinessProbe, StartupProbe: c.StartupProbe})
	}
	return out
}
