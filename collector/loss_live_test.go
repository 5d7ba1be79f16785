package collector_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestNodeAndZoneLossLive simulates node and zone loss on a cluster built
// on a real API server — three zones, a workload spread, one packed, one
// pinned by nodeSelector to the only SSD node — and checks the exact
// verdicts: workloads lost, PDBs broken and pods without room, then again
// through the watch path as a node is added and labelled.
func TestNodeAndZoneLossLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()

	env.CreateNode(testenv.NodeSpec{Name: "a1", Zone: "zone-a"})
	env.CreateNode(testenv.NodeSpec{Name: "a2", Zone: "zone-a"})
	env.CreateNode(testenv.NodeSpec{Name: "b1", Zone: "zone-b"})
	env.CreateNode(testenv.NodeSpec{Name: "c1", Zone: "zone-c", CPU: "2", Labels: map[string]string{"disktype": "ssd"}})

	cpu := func(q string) func(*appsv1.Deployment) {
		return func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}
		}
	}
	deploy := func(name, req string, mutate func(*appsv1.Deployment), nodes ...string) {
		d := env.CreateDeployment("shop", name, int32(len(nodes)), func(d *appsv1.Deployment) {
			cpu(req)(d)
			if mutate != nil {
				mutate(d)
			}
		})
		rs := env.CreateReplicaSet("shop", name+"-1", int32(len(nodes)), d, nil)
		env.PodsOn("shop", name, "ReplicaSet", &rs.ObjectMeta, rs.Spec.Template.Labels, nodes...)
	}
	// Free CPU after placement: a1 0.5, a2 2.5, b1 2.5, c1 1.5.
	deploy("web", "1500m", nil, "a1", "a2", "b1")
	deploy("packed", "1", nil, "a1", "a1")
	deploy("pinned", "500m", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.NodeSelector = map[string]string{"disktype": "ssd"}
	}, "c1")
	two := intstr.FromInt32(2)
	if _, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &two,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	reg := liveRegistry(t, client, collector.Deps{}, "loss", "disruption", "hypotheses")
	const D = "Deployment"
	node := func(name, n string) string { return `kube_reliability_` + name + `{node="` + n + `"}` }
	zone := func(name, z string) string { return `kube_reliability_` + name + `{zone="` + z + `"}` }
	hyp := func(h string) string { return `kube_reliability_hypothesis_holds{hypothesis="` + h + `"}` }
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		// Lost outright: packed with a1 and zone-a, pinned (a single
		// replica) with c1 and zone-c; web keeps 1 of 3 without zone-a.
		w("ready_after_zone_loss", D, "web"):            1,
		w("ready_after_zone_loss", D, "packed"):         0,
		w("single_replica", D, "pinned"):                1,
		node("node_loss_workloads_lost", "a1"):          1,
		node("node_loss_workloads_lost", "c1"):          1,
		node("node_loss_workloads_lost", "a2"):          -1,
		zone("zone_loss_workloads_lost", "zone-a"):      1,
		zone("zone_loss_workloads_lost", "zone-b"):      0,
		zone("zone_loss_workloads_lost", "zone-c"):      1,
		`kube_reliability_cluster_survives_node_loss{}`: 0,
		`kube_reliability_cluster_survives_zone_loss{}`: 0,
		// web's PDB (minAvailable 2 of 3 healthy) survives any one node
		// but not zone-a, which holds two of its pods.
		zone("zone_loss_pdbs_below_desired", "zone-a"): 1,
		zone("zone_loss_pdbs_below_desired", "zone-b"): 0,
		zone("zone_loss_pdbs_below_desired", "zone-c"): 0,
		node("node_loss_pdbs_below_desired", "a1"):     -1,
		node("node_loss_pdbs_below_desired", "a2"):     -1,
		// Capacity: a1's three pods fit on a2 and b1; zone-a's four
		// (1.5, 1.5, 1, 1) get b1 and c1 (2.5 and 1.5 free): one packed
		// pod is left over. pinned has nowhere to go but c1.
		node("node_loss_pods_unschedulable", "c1"):          1,
		node("node_loss_pods_unschedulable", "a1"):          -1,
		zone("zone_loss_pods_displaced", "zone-a"):          4,
		zone("zone_loss_pods_unschedulable", "zone-a"):      1,
		zone("zone_loss_pods_displaced", "zone-b"):          1,
		zone("zone_loss_pods_unschedulable", "zone-b"):      0,
		zone("zone_loss_pods_displaced", "zone-c"):          1,
		zone("zone_loss_pods_unschedulable", "zone-c"):      1,
		`kube_reliability_cluster_absorbs_node_loss{}`:      0,
		`kube_reliability_cluster_absorbs_zone_loss{}`:      0,
		`kube_reliability_capacity_pods_unknown_requests{}`: 0,
		hyp("survives-node-loss"):                           0,
		hyp("survives-zone-loss"):                           0,
		hyp("zone-loss-absorbable"):                         0,
	}))

	// A second node in zone-b takes zone-a's whole load; labelled SSD, it
	// takes pinned's pod too: every loss is absorbed.
	env.CreateNode(testenv.NodeSpec{Name: "b2", Zone: "zone-b"})
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		zone("zone_loss_pods_unschedulable", "zone-a"): 0,
		zone("zone_loss_pods_unschedulable", "zone-c"): 1,
		`kube_reliability_cluster_absorbs_zone_loss{}`: 0,
	}))
	patch := []byte(`{"metadata":{"labels":{"disktype":"ssd"}}}`)
	if _, err := env.Client.CoreV1().Nodes().Patch(ctx, "b2", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		zone("zone_loss_pods_unschedulable", "zone-c"): 0,
		node("node_loss_pods_unschedulable", "c1"):     -1,
		`kube_reliability_cluster_absorbs_node_loss{}`: 1,
		`kube_reliability_cluster_absorbs_zone_loss{}`: 1,
		hyp("zone-loss-absorbable"):                    1,
		// Room is not replicas: pinned still dies with c1.
		hyp("survives-node-loss"): 0,
	}))
}
