package testenv

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestStart proves the environment is a real, RBAC-enforcing API server:
// the admin can write, a fresh ServiceAccount can read nothing, and pod
// status set through the status subresource sticks.
func TestStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := Start(t)
	t.Logf("kube-apiserver ready in %s", env.StartupTime)
	ctx := context.Background()

	v, err := env.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.Major != "1" || v.Minor != "37" {
		t.Errorf("server version %s.%s, want 1.37", v.Major, v.Minor)
	}

	n := env.CreateNode(NodeSpec{Name: "node-1", Zone: "zone-a"})
	if n.Status.Allocatable.Cpu().String() != "4" {
		t.Errorf("allocatable cpu %s, want 4", n.Status.Allocatable.Cpu())
	}
	p := env.CreatePod(PodSpec{Namespace: "ns1", Name: "p", Node: "node-1", Ready: true, PodIP: "127.0.0.5"})
	got, err := env.Client.CoreV1().Pods("ns1").Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.PodIP != "127.0.0.5" || got.Status.Phase != "Running" || got.Spec.NodeName != "node-1" {
		t.Errorf("pod status not kept: ip=%q phase=%q node=%q", got.Status.PodIP, got.Status.Phase, got.Spec.NodeName)
	}

	sa := kubernetes.NewForConfigOrDie(env.ServiceAccountConfig("ns1", "nobody"))
	_, err = sa.CoreV1().Pods("ns1").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("unprivileged serviceaccount listing pods: err = %v, want Forbidden", err)
	}
}
