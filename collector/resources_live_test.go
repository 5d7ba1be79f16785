package collector_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

func nsKey(name, ns string, extra ...string) string {
	l := []string{fmt.Sprintf("namespace=%q", ns)}
	for i := 0; i+1 < len(extra); i += 2 {
		l = append(l, fmt.Sprintf("%s=%q", extra[i], extra[i+1]))
	}
	sort.Strings(l)
	return "kube_reliability_" + name + "{" + strings.Join(l, ",") + "}"
}

// TestResourcesLive: containers with and without requests, a LimitRange
// default, and a quota the real quota controller fills to 90%.
func TestResourcesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and kube-controller-manager")
	}
	env := testenv.Start(t)
	env.StartControllerManager()
	client := bindShippedRole(t, env)
	ctx := context.Background()
	env.CreateNode(testenv.NodeSpec{Name: "node-1", Zone: "zone-a"})

	// team-a: a quota of 10 pods, 9 of them running; one Deployment with
	// requests and limits, one with none.
	env.EnsureNamespace("team-a")
	_, err := env.Client.CoreV1().ResourceQuotas("team-a").Create(ctx, &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "pods"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Pods are admitted against the quota only once the quota controller
	// has computed its status; creating them earlier races the controller's
	// first count.
	testenv.Eventually(t, 30*time.Second, func() error {
		q, err := env.Client.CoreV1().ResourceQuotas("team-a").Get(ctx, "pods", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if _, ok := q.Status.Hard[corev1.ResourcePods]; !ok {
			return fmt.Errorf("quota status not computed yet")
		}
		return nil
	})
	withResources := func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		}
	}
	env.CreateDeployment("team-a", "sized", 5, withResources)
	env.CreateDeployment("team-a", "unsized", 4, func(d *appsv1.Deployment) {
		// An init container nobody sized: counted apart from app containers.
		d.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "registry.example/migrate:1"}}
	})
	env.RunPods("team-a", "app=sized", 5, "node-1")
	env.RunPods("team-a", "app=unsized", 4, "node-1")

	// team-b: no quota, a LimitRange defaulting CPU requests.
	env.EnsureNamespace("team-b")
	_, err = env.Client.CoreV1().LimitRanges("team-b").Create(ctx, &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: "defaults"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	reg := liveRegistry(t, client, collector.Deps{Settings: collector.Settings{ExcludedNamespaces: []string{"kube-system", "kube-public", "kube-node-lease", "default", "kube-reliability"}}}, "resources")

	testenv.Eventually(t, 60*time.Second, expectation(t, reg, map[string]float64{
		nsKey("namespace_containers", "team-a", "container_type", "app", "resource", "cpu"):                      2,
		nsKey("namespace_containers_without_requests", "team-a", "container_type", "app", "resource", "cpu"):     1,
		nsKey("namespace_containers_without_limits", "team-a", "container_type", "app", "resource", "cpu"):       2,
		nsKey("namespace_containers_without_limits", "team-a", "container_type", "app", "resource", "memory"):    1,
		nsKey("namespace_containers", "team-a", "container_type", "init", "resource", "memory"):                  1,
		nsKey("namespace_containers_without_requests", "team-a", "container_type", "init", "resource", "memory"): 1,
		nsKey("namespace_resourcequotas", "team-a"):                                                              1,
		nsKey("namespace_limitranges", "team-a"):                                                                 0,
		nsKey("namespace_resourcequotas", "team-b"):                                                              0,
		nsKey("namespace_limitranges", "team-b"):                                                                 1,
		nsKey("namespace_default_request", "team-b", "resource", "cpu"):                                          1,
		nsKey("namespace_default_request", "team-b", "resource", "memory"):                                       0,
		nsKey("namespace_default_request", "team-a", "resource", "cpu"):                                          0,
		// 9 pods of 10, as computed by the real quota controller.
		`kube_reliability_resourcequota_usage_ratio{namespace="team-a",resource="pods",resourcequota="pods"}`: 0.9,
		nsKey("namespace_resourcequotas", "kube-system"):                                                      -1, // excluded
	}))
}
