package resources

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

func rl(kv ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return l
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	one := int32(5)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "team", UID: "d"},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init"}},
			Containers: []corev1.Container{
				{Name: "full", Resources: corev1.ResourceRequirements{Requests: rl("cpu", "1", "memory", "1Gi"), Limits: rl("cpu", "1", "memory", "1Gi")}},
				{Name: "limit-only", Resources: corev1.ResourceRequirements{Limits: rl("cpu", "1")}},
				{Name: "bare"},
			}}}}}
	sys := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "dns", Namespace: "kube-system", UID: "s"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}}}
	s := &cluster.Snapshot{
		Namespaces:  []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, {ObjectMeta: metav1.ObjectMeta{Name: "empty"}}, {ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}}},
		Deployments: cluster.Deployments(d, sys),
		Pods: cluster.Pods(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: "team"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: rl("memory", "1Gi")}}}}}),
		ResourceQuotas: []*corev1.ResourceQuota{{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "team"},
			Status: corev1.ResourceQuotaStatus{Hard: rl("pods", "10", "requests.cpu", "0", "services", "5"), Used: rl("pods", "9", "requests.cpu", "0")}}},
		LimitRanges: []*corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "lr", Namespace: "team"},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Default: rl("memory", "256Mi")}, {Type: corev1.LimitTypePod, DefaultRequest: rl("cpu", "1")}}}}},
	}
	r := Analyze(s, DefaultExcludedNamespaces)

	want := map[[3]string][3]int{ // total, without requests, without limits
		{"team", "cpu", App}:     {4, 2, 2}, // bare template container and the bare pod; limit-only has a request by default
		{"team", "memory", App}:  {4, 2, 3},
		{"team", "cpu", Init}:    {1, 1, 1},
		{"team", "memory", Init}: {1, 1, 1},
	}
	if len(r.Containers) != len(want) {
		t.Fatalf("containers %+v", r.Containers)
	}
	for _, c := range r.Containers {
		if got := [3]int{c.Total, c.WithoutRequests, c.WithoutLimits}; got != want[[3]string{c.Namespace, c.Resource, c.ContainerType}] {
			t.Errorf("%s/%s/%s = %v, want %v", c.Namespace, c.Resource, c.ContainerType, got, want[[3]string{c.Namespace, c.Resource, c.ContainerType}])
		}
	}
	if len(r.Namespaces) != 2 || r.Namespaces[0].Name != "empty" || r.Namespaces[1].Name != "team" {
		t.Fatalf("namespaces %+v (kube-system must be excluded)", r.Namespaces)
	}
	team := r.Namespaces[1]
	if team.ResourceQuotas != 1 || team.LimitRanges != 1 || !team.DefaultRequest["memory"] || !team.DefaultLimit["memory"] || team.DefaultRequest["cpu"] {
		t.Errorf("team %+v (a Pod-type LimitRange gives containers no default)", team)
	}
	// The same containers, by name: what the audit reports.
	wantMissing := []Missing{
		{Kind: "Deployment", Namespace: "team", Name: "d", Resource: "cpu", WithoutRequest: []string{"bare", "init"}, WithoutLimit: []string{"bare", "init"}},
		{Kind: "Deployment", Namespace: "team", Name: "d", Resource: "memory", WithoutRequest: []string{"limit-only", "bare", "init"}, WithoutLimit: []string{"limit-only", "bare", "init"}},
		{Kind: "Pod", Namespace: "team", Name: "bare", Resource: "cpu", WithoutRequest: []string{"c"}, WithoutLimit: []string{"c"}},
		{Kind: "Pod", Namespace: "team", Name: "bare", Resource: "memory", WithoutLimit: []string{"c"}},
	}
	if !reflect.DeepEqual(r.Missing, wantMissing) {
		t.Errorf("missing\n%+v\nwant\n%+v", r.Missing, wantMissing)
	}
	// requests.cpu hard 0 has no ratio; services has no used value yet.
	if len(r.Quotas) != 1 || r.Quotas[0].Resource != "pods" || r.Quotas[0].Used/r.Quotas[0].Hard != 0.9 {
		t.Errorf("quotas %+v", r.Quotas)
	}
}
