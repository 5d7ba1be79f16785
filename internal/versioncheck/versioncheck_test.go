package versioncheck

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/controllerversions"
	"github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"
)

func node(name, kubelet, proxy string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	n.Status.NodeInfo.KubeletVersion = kubelet
	//lint:ignore SA1019 kubelets before 1.31 still report it
	n.Status.NodeInfo.KubeProxyVersion = proxy
	return n
}

// kube-proxy's version: the node's status where reported (not empty, not
// v0.0.0), else its kube-proxy DaemonSet pod's image tag, else unknown.
func TestNodesAndJudge(t *testing.T) {
	t.Parallel()
	controller := true
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system", UID: "ds"},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy:v1.33.2"}}}}}}
	pod := func(name, node string) *cluster.Pod {
		return &cluster.Pod{Namespace: "kube-system", Name: name, NodeName: node, Phase: corev1.PodRunning, Ready: true,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "kube-proxy", UID: "ds", Controller: &controller}}}
	}
	snap := &cluster.Snapshot{
		Nodes:      []*corev1.Node{node("a", "v1.37.2", ""), node("b", "v1.33.9", "v0.0.0"), node("c", "v1.30.1", "v1.30.1"), node("d", "garbage", "")},
		DaemonSets: []*appsv1.DaemonSet{ds},
		Pods:       []*cluster.Pod{pod("kube-proxy-b", "b")},
	}
	nodes := Nodes(snap)
	want := []NodeVersion{{"a", "v1.37.2", ""}, {"b", "v1.33.9", "v1.33.2"}, {"c", "v1.30.1", "v1.30.1"}, {"d", "garbage", ""}}
	if len(nodes) != len(want) {
		t.Fatalf("nodes %+v", nodes)
	}
	for i := range want {
		if nodes[i] != want[i] {
			t.Errorf("node %d: %+v, want %+v", i, nodes[i], want[i])
		}
	}
	api, _ := versiontable.ParseVersion("v1.37.2")
	j := Judge(nodes, api)
	if j.Unknown[Kubelet] != 1 || j.Unknown[KubeProxy] != 2 {
		t.Errorf("unknown %v, want kubelet 1 (garbage), kube-proxy 2", j.Unknown)
	}
	if j.ByVersion[[2]string{Kubelet, "v1.37.2"}] != 1 || j.ByVersion[[2]string{KubeProxy, "v1.33.2"}] != 1 {
		t.Errorf("by version %v", j.ByVersion)
	}
	// b's kubelet 4 behind, c's kubelet and kube-proxy 7 behind; b's
	// kube-proxy (1.33) is 4 behind too.
	got := map[string]int{}
	for _, v := range j.Violations {
		got[v.Node+" "+v.Component] = v.Minors
	}
	wantV := map[string]int{"b kubelet": 4, "b kube-proxy": 4, "c kubelet": 7, "c kube-proxy": 7}
	if len(got) != len(wantV) {
		t.Errorf("violations %v, want %v", got, wantV)
	}
	for k, v := range wantV {
		if got[k] != v {
			t.Errorf("%s: %d minors, want %d", k, got[k], v)
		}
	}
}

// Controllers: a Deployment running ingress-nginx v1.11.4 through its
// ReplicaSet's pods (one terminating, not counted), judged by the table;
// one on a tag naming no version is unknown.
func TestControllers(t *testing.T) {
	t.Parallel()
	tab, err := controllerversions.Load()
	if err != nil {
		t.Fatal(err)
	}
	controller := true
	dep := func(name, image string) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ingress", UID: types.UID("d-" + name)},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "controller", Image: image}}}}}}
	}
	nginx, traefik := dep("nginx", "registry.k8s.io/ingress-nginx/controller:v1.11.4"), dep("traefik", "traefik:latest")
	rs := &cluster.OwnedReplicaSet{Namespace: "ingress", Name: "nginx-1", UID: "rs-nginx",
		Owner: metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "nginx", UID: nginx.UID, Controller: &controller}}
	pod := func(name string, terminating bool) *cluster.Pod {
		return &cluster.Pod{Namespace: "ingress", Name: name, NodeName: "a", Phase: corev1.PodRunning, Ready: true, Terminating: terminating,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "nginx-1", UID: "rs-nginx", Controller: &controller}}}
	}
	snap := &cluster.Snapshot{Deployments: cluster.Deployments(nginx, traefik), OwnedReplicaSets: []*cluster.OwnedReplicaSet{rs},
		Pods: []*cluster.Pod{pod("nginx-1-a", false), pod("nginx-1-b", false), pod("nginx-1-c", true)}}
	got := map[string]ControllerWorkload{}
	for _, w := range Controllers(snap, tab) {
		got[w.Name] = w
	}
	n := got["nginx"]
	var ids []string
	for _, is := range n.Issues {
		ids = append(ids, is.ID)
	}
	if n.Controller != "ingress-nginx" || n.Version != "v1.11.4" || n.Pods != 2 || n.Unknown != "" ||
		strings.Join(ids, " ") != "retired CVE-2026-3288 CVE-2026-24512 CVE-2025-1974" {
		t.Errorf("nginx: %+v (issues %v)", n, ids)
	}
	if tr := got["traefik"]; tr.Controller != "traefik" || tr.Unknown == "" || len(tr.Issues) != 0 {
		t.Errorf("traefik: %+v, want an unknown version and no issue", tr)
	}
}
