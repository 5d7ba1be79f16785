package collector_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestKEDAScaledObjectsLive: kube-linter's false positive, on a real API
// server. worker leaves replicas unset (the API server stores 1) under a
// 50% PDB: 50% of 1 is 1, every drain hangs. KEDA is installed after the
// exporter started; a ScaledObject with minReplicaCount 4 makes the floor
// 4, 2 of which may go: the PDB no longer blocks. Another with
// minReplicaCount 1 flags its target as autoscaled to one.
func TestKEDAScaledObjectsLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()
	env.CreateNode(testenv.NodeSpec{Name: "node-1", Zone: "zone-a"})
	worker := env.CreateDeployment("jobs", "worker", 1, func(d *appsv1.Deployment) { d.Spec.Replicas = nil })
	rs := env.CreateReplicaSet("jobs", "worker-1", 1, worker, nil)
	env.PodsOn("jobs", "worker", "ReplicaSet", &rs.ObjectMeta, rs.Spec.Template.Labels, "node-1")
	env.CreateDeployment("jobs", "api", 3, nil)
	half := intstr.FromString("50%")
	if _, err := env.Client.PolicyV1().PodDisruptionBudgets("jobs").Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "worker", Namespace: "jobs"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &half,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "worker"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The informers as central runs them, KEDA's watcher included, as the
	// exporter's ServiceAccount.
	deps := collector.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	inf := liveInformers(t, client, deps.Logger)
	sa := env.ServiceAccountConfig("kube-reliability", "exporter")
	so := inf.WatchScaledObjects(discovery.NewDiscoveryClientForConfigOrDie(sa), dynamic.NewForConfigOrDie(sa), 200*time.Millisecond)
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go so.Run(runCtx)
	deps.Cluster, deps.Status = inf, inf
	reg := registry(t, deps, "disruption", "loss")

	pdb := func(name string) string {
		return `kube_reliability_pdb_` + name + `{namespace="jobs",poddisruptionbudget="worker"}`
	}
	wl := func(name, owner string) string {
		return `kube_reliability_workload_` + name + `{namespace="jobs",owner_kind="Deployment",owner_name="` + owner + `"}`
	}
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		pdb("expected_pods"): 1, pdb("desired_healthy_pods"): 1, pdb("blocks_drain"): 1,
		wl("autoscaled_to_one", "api"): -1,
	}))

	env.InstallKEDAScaledObjectCRD()
	dyn := dynamic.NewForConfigOrDie(env.Config)
	for name, minimum := range map[string]int64{"worker": 4, "api": 1} {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
			"metadata": map[string]any{"name": name, "namespace": "jobs"},
			"spec": map[string]any{
				"scaleTargetRef":  map[string]any{"name": name},
				"minReplicaCount": minimum, "maxReplicaCount": int64(20),
				"triggers": []any{map[string]any{"type": "cpu", "metricType": "Utilization", "metadata": map[string]any{"value": "60"}}},
			},
		}}
		if _, err := dyn.Resource(kube.ScaledObjectGVR).Namespace("jobs").Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 30*time.Second, expectation(t, reg, map[string]float64{
		pdb("expected_pods"): 4, pdb("desired_healthy_pods"): 2, pdb("blocks_drain"): 0,
		wl("autoscaled_to_one", "api"): 1,
	}))
	if st := so.Status(); len(st) != 1 || !st[0].Synced {
		t.Errorf("ScaledObject watcher status %+v, want one synced informer", st)
	}
}
