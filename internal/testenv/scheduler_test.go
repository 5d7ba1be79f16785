package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSchedulingCluster proves the control plane schedules: the real
// kube-scheduler binds a Deployment's pods (honouring an extended resource
// on one node only), the kubelet stand-in reports them Running and Ready on
// loopback IPs, and the pod the scheduler cannot place stays Pending with
// the scheduler's own reason.
func TestSchedulingCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real control plane")
	}
	env := Start(t)
	env.StartControllerManager()
	env.StartScheduler()
	kubelet := env.StartKubelet()
	gpu := corev1.ResourceName("example.com/gpu")
	env.CreateNode(NodeSpec{Name: "n1", Zone: "a"})
	env.CreateNode(NodeSpec{Name: "n2", Zone: "b", Extended: corev1.ResourceList{gpu: resource.MustParse("1")}})
	env.CreateDeployment("ml", "trainer", 2, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{gpu: resource.MustParse("1")}
		d.Spec.Template.Spec.Containers[0].Resources.Limits = corev1.ResourceList{gpu: resource.MustParse("1")}
	})
	ctx := context.Background()
	Eventually(t, 60*time.Second, func() error {
		if err := kubelet.Err(); err != nil {
			return err
		}
		pods, err := env.Client.CoreV1().Pods("ml").List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		running, pending := 0, ""
		for _, p := range pods.Items {
			if RunningReady(&p) && p.Spec.NodeName == "n2" && p.Status.PodIP != "" {
				running++
			}
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
					pending = c.Message
				}
			}
		}
		if len(pods.Items) != 2 || running != 1 || pending == "" {
			return fmt.Errorf("%d pods, %d running on n2, pending reason %q\n%s", len(pods.Items), running, pending, env.ComponentLogTail("kube-scheduler", 10))
		}
		t.Logf("scheduler's reason: %s", pending)
		return nil
	})
}
