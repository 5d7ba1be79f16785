package kube

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTransformTrimsPods(t *testing.T) {
	t.Parallel()
	yes := true
	now := metav1.Now()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "p", Namespace: "ns", UID: "u", Labels: map[string]string{"app": "a"},
			Annotations:       map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{…}"},
			OwnerReferences:   []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs", UID: "r", Controller: &yes}},
			ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			DeletionTimestamp: &now,
		},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "i", Env: []corev1.EnvVar{{Name: "X", Value: "y"}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1", Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, Message: "long text"},
		}, ContainerStatuses: []corev1.ContainerStatus{{Name: "c"}}},
	}
	got, err := Transform(p)
	if err != nil {
		t.Fatal(err)
	}
	tp := got.(*corev1.Pod)
	if tp.Name != "p" || tp.Labels["app"] != "a" || len(tp.OwnerReferences) != 1 || tp.DeletionTimestamp == nil ||
		tp.Spec.NodeName != "node-1" || tp.Status.Phase != corev1.PodRunning || tp.Status.Conditions[0].Status != corev1.ConditionTrue ||
		tp.Status.PodIP != "10.0.0.1" {
		t.Errorf("lost a field analysis reads: %+v", tp)
	}
	if tp.Annotations != nil || tp.ManagedFields != nil || tp.Spec.Containers != nil ||
		tp.Status.ContainerStatuses != nil || tp.Status.Conditions[0].Message != "" {
		t.Errorf("kept bulk analysis never reads: %+v", tp)
	}
}

func TestTransformTrimsOwnedReplicaSetTemplates(t *testing.T) {
	t.Parallel()
	yes := true
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{NodeSelector: map[string]string{"a": "b"}}}
	owned := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Template: tmpl}}
	bare := &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: tmpl}}
	for _, rs := range []*appsv1.ReplicaSet{owned, bare} {
		if _, err := Transform(rs); err != nil {
			t.Fatal(err)
		}
	}
	if owned.Spec.Template.Spec.NodeSelector != nil {
		t.Error("a Deployment-owned ReplicaSet kept its template")
	}
	if bare.Spec.Template.Spec.NodeSelector == nil {
		t.Error("a bare ReplicaSet lost its template: it is a workload of its own")
	}
}
