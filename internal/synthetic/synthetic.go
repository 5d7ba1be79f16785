package synthetic

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Cluster returns a cluster scaled by pods: 30 pods per node (4 CPU, 16 GiB,
// 110 pods allocatable; one node in 50 cordoned), 3 zones, workloads of 10
// replicas each requesting 100m CPU and 256 MiB (4 in 5 Deployments, the
// rest StatefulSets), one workload in 10 pinned by a nodeSelector to one of
// 5 node pools, one pod in 20 not ready.
func Cluster(pods int) *cluster.Snapshot {
	s := &cluster.Snapshot{}
	nodes := max(pods/30, 1)
	alloc := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods: resource.MustParse("110"),
	}
	for i := range nodes {
		name := fmt.Sprintf("node-%d", i)
		s.Nodes = append(s.Nodes, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				corev1.LabelHostname: name, corev1.LabelTopologyZone: fmt.Sprintf("zone-%d", i%3), "pool": fmt.Sprintf("pool-%d", i%5),
			}},
			Spec:   corev1.NodeSpec{Unschedulable: i%50 == 0},
			Status: corev1.NodeStatus{Allocatable: alloc},
		})
	}
	requests := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("256Mi")}
	workloads := max(pods/10, 1)
	p := 0
	for w := range workloads {
		name := fmt.Sprintf("app-%d", w)
		replicas := int32(10)
		tmpl := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: requests}}}},
		}
		if w%10 == 0 {
			tmpl.Spec.NodeSelector = map[string]string{"pool": fmt.Sprintf("pool-%d", w%5)}
		}
		var owner []metav1.OwnerReference
		if w%5 != 4 {
			d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("d-" + name)},
				Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: tmpl}}
			rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name + "-rs", Namespace: "ns", UID: types.UID("rs-" + name),
				OwnerReferences: ctrl("Deployment", name, d.UID)}}
			s.Deployments = append(s.Deployments, cluster.DeploymentFrom(d))
			s.ReplicaSets = append(s.ReplicaSets, rs)
			owner = ctrl("ReplicaSet", rs.Name, rs.UID)
		} else {
			ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("ss-" + name)},
				Spec: appsv1.StatefulSetSpec{Replicas: &replicas, Template: tmpl}}
			s.StatefulSets = append(s.StatefulSets, ss)
			owner = ctrl("StatefulSet", name, ss.UID)
		}
		for r := range 10 {
			podName := fmt.Sprintf("%s-%d", name, r)
			s.Pods = append(s.Pods, &cluster.Pod{Namespace: "ns", Name: podName,
				Labels: tmpl.Labels, OwnerReferences: owner, NodeName: fmt.Sprintf("node-%d", (p*7)%nodes),
				Phase: corev1.PodRunning, Ready: p%20 != 0})
			p++
		}
	}
	return s
}

// Constrained is Cluster with the scheduling rules the capacity
// simulation checks pod by pod: one workload in 5 spread over zones
// (DoNotSchedule, maxSkew 1) and one in 5 with required anti-affinity by
// host, all over the same pods.
func Constrained(pods int) *cluster.Snapshot {
	s := Cluster(pods)
	templates := make([]*cluster.Template, 0, len(s.Deployments)+len(s.StatefulSets))
	for _, d := range s.Deployments {
		templates = append(templates, &d.Spec.Template)
	}
	for _, st := range s.StatefulSets {
		templates = append(templates, cluster.TemplateOf(&st.Spec.Template))
	}
	for i, t := range templates {
		own := &metav1.LabelSelector{MatchLabels: t.Labels}
		switch i % 5 {
		case 1:
			t.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone,
				WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: own}}
		case 2:
			t.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: own, TopologyKey: corev1.LabelHostname}}}}
		}
	}
	return s
}

// Roomy is Cluster on nodes twice as large (8 CPU, 32 GiB) with no node
// selectors, the shape of bench/scale: under half full, so the rest of the
// cluster holds any node's or zone's pods, and the simulation's cost is in
// proving that.
func Roomy(pods int) *cluster.Snapshot {
	s := Cluster(pods)
	alloc := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods: resource.MustParse("110"),
	}
	for _, n := range s.Nodes {
		n.Status.Allocatable = alloc
	}
	for _, d := range s.Deployments {
		d.Spec.Template.Spec.NodeSelector = nil
	}
	for _, ss := range s.StatefulSets {
		ss.Spec.Template.Spec.NodeSelector = nil
	}
	return s
}

func ctrl(kind, name string, uid types.UID) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{Kind: kind, Name: name, UID: uid, Controller: &t}}
}
