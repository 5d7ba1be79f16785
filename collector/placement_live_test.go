package collector_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// samples gathers the registry into name{label="value",…} → value.
func samples(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var l []string
			for _, lp := range m.GetLabel() {
				l = append(l, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			sort.Strings(l)
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out[mf.GetName()+"{"+strings.Join(l, ",")+"}"] = v
		}
	}
	return out
}

// expectation checks exact values; a key mapped to -1 must be absent.
func expectation(t *testing.T, g prometheus.Gatherer, want map[string]float64) func() error {
	return func() error {
		got := samples(t, g)
		var diffs []string
		for k, v := range want {
			gv, ok := got[k]
			switch {
			case v == -1 && ok:
				diffs = append(diffs, fmt.Sprintf("%s = %v, want absent", k, gv))
			case v != -1 && !ok:
				diffs = append(diffs, fmt.Sprintf("%s absent, want %v", k, v))
			case v != -1 && gv != v:
				diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", k, gv, v))
			}
		}
		if len(diffs) > 0 {
			sort.Strings(diffs)
			return fmt.Errorf("\n%s", strings.Join(diffs, "\n"))
		}
		return nil
	}
}

func w(name, kind, owner string) string {
	return fmt.Sprintf(`kube_reliability_workload_%s{namespace="shop",owner_kind=%q,owner_name=%q}`, name, kind, owner)
}

// bindShippedRole creates the ClusterRole shipped in deploy/ and returns a
// client for a ServiceAccount bound to it: the live tests run with exactly
// the privileges users grant.
func bindShippedRole(t *testing.T, env *testenv.Env) kubernetes.Interface {
	t.Helper()
	bindRole(t, env, "../deploy/kustomize/base/clusterrole.yaml")
	return kubernetes.NewForConfigOrDie(env.ServiceAccountConfig("kube-reliability", "exporter"))
}

// bindRole creates the ClusterRole in the YAML file and binds it to the
// exporter's test ServiceAccount (kube-reliability/exporter).
func bindRole(t *testing.T, env *testenv.Env, path string) {
	t.Helper()
	bindEditedRole(t, env, path, nil)
}

// bindEditedRole is bindRole with the role edited by edit (if set) first.
func bindEditedRole(t *testing.T, env *testenv.Env, path string, edit func(*rbacv1.ClusterRole)) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if edit != nil {
		edit(&role)
	}
	if _, err := env.Client.RbacV1().ClusterRoles().Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "kube-reliability", Name: "exporter"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlacementLive builds each placement situation on a real API server
// and checks the exact values, first from the initial list and then through
// the watch path as pods turn unready, are deleted and nodes are cordoned.
func TestPlacementLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)

	env.CreateNode(testenv.NodeSpec{Name: "node-1", Zone: "zone-a"})
	env.CreateNode(testenv.NodeSpec{Name: "node-2", Zone: "zone-a"})
	env.CreateNode(testenv.NodeSpec{Name: "node-3", Zone: "zone-b"})

	packed := env.CreateDeployment("shop", "packed", 3, nil)
	packedRS := env.CreateReplicaSet("shop", "packed-1", 3, packed, nil)
	packedPods := env.PodsOn("shop", "packed", "ReplicaSet", &packedRS.ObjectMeta, packedRS.Spec.Template.Labels, "node-1", "node-1", "node-1")

	spread := env.CreateDeployment("shop", "spread", 3, func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "spread"}},
		}}
	})
	spreadRS := env.CreateReplicaSet("shop", "spread-1", 3, spread, nil)
	env.PodsOn("shop", "spread", "ReplicaSet", &spreadRS.ObjectMeta, spreadRS.Spec.Template.Labels, "node-1", "node-2", "node-3")

	db := env.CreateStatefulSet("shop", "db", 3, func(s *appsv1.StatefulSet) {
		s.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
				TopologyKey:   corev1.LabelHostname,
			}},
		}}
	})
	env.PodsOn("shop", "db", "StatefulSet", &db.ObjectMeta, db.Spec.Template.Labels, "node-1", "node-2", "node-3")

	worker := env.CreateReplicaSet("shop", "worker", 2, nil, nil)
	env.PodsOn("shop", "worker", "ReplicaSet", &worker.ObjectMeta, worker.Spec.Template.Labels, "node-2", "node-2")

	reg := liveRegistry(t, client, collector.Deps{}, "exporter", "placement", "placement_detail", "loss")

	const D, S, R = "Deployment", "StatefulSet", "ReplicaSet"
	testenv.Eventually(t, 10*time.Second, expectation(t, reg, map[string]float64{
		w("replicas_desired", D, "packed"):                                 3,
		w("replicas_ready", D, "packed"):                                   3,
		w("node_max_ready_replicas", D, "packed"):                          3,
		w("node_skew", D, "packed"):                                        3,
		w("zone_skew", D, "packed"):                                        3,
		w("single_node", D, "packed"):                                      1,
		w("single_zone", D, "packed"):                                      1,
		w("eligible_nodes", D, "packed"):                                   3,
		w("eligible_zones", D, "packed"):                                   2,
		w("node_max_ready_replicas", D, "spread"):                          1,
		w("node_skew", D, "spread"):                                        0,
		w("zone_skew", D, "spread"):                                        1,
		w("single_node", D, "spread"):                                      0,
		w("single_zone", D, "spread"):                                      0,
		w("node_skew", S, "db"):                                            0,
		w("replicas_ready", S, "db"):                                       3,
		w("replicas_ready", R, "worker"):                                   2,
		w("single_node", R, "worker"):                                      1,
		w("node_max_ready_replicas", R, "worker"):                          2,
		w("replicas_ready", R, "packed-1"):                                 -1, // owned by a Deployment: not a workload of its own
		`kube_reliability_zones{}`:                                         2,
		`kube_reliability_zone_nodes{zone="zone-a"}`:                       2,
		`kube_reliability_zone_nodes{zone="zone-b"}`:                       1,
		`kube_reliability_informer_synced{resource="pods"}`:                1,
		`kube_reliability_scrape_collector_success{collector="placement"}`: 1,
		`kube_reliability_workload_spread_policy{namespace="shop",owner_kind="StatefulSet",owner_name="db",policy="required_anti_affinity"}`: 1,
		`kube_reliability_workload_spread_policy{namespace="shop",owner_kind="Deployment",owner_name="spread",policy="topology_spread"}`:     1,
		`kube_reliability_workload_spread_policy{namespace="shop",owner_kind="Deployment",owner_name="packed",policy="none"}`:                1,
		// Policies not in use have no series.
		`kube_reliability_workload_spread_policy{namespace="shop",owner_kind="Deployment",owner_name="packed",policy="topology_spread"}`: -1,
		// Node and zone loss: packed dies with node-1 and zone-a; worker
		// with node-2 and zone-a; spread and db keep 2 of 3 without
		// node-1 and 1 without zone-a.
		w("ready_after_zone_loss", D, "packed"):                    0,
		w("ready_after_zone_loss", D, "spread"):                    1,
		w("ready_after_zone_loss", S, "db"):                        1,
		w("ready_after_zone_loss", R, "worker"):                    0,
		`kube_reliability_node_loss_workloads_lost{node="node-1"}`: 1,
		`kube_reliability_node_loss_workloads_lost{node="node-2"}`: 1,
		`kube_reliability_node_loss_workloads_lost{node="node-3"}`: -1,
		`kube_reliability_zone_loss_workloads_lost{zone="zone-a"}`: 2,
		`kube_reliability_zone_loss_workloads_lost{zone="zone-b"}`: 0,
		`kube_reliability_cluster_survives_node_loss{}`:            0,
		`kube_reliability_cluster_survives_zone_loss{}`:            0,
	}))

	// A replica turning unready leaves the node: 2 ready, both on node-1.
	env.SetPodStatus(packedPods[0], false, "")
	testenv.Eventually(t, 10*time.Second, expectation(t, reg, map[string]float64{
		w("replicas_ready", D, "packed"):          2,
		w("node_max_ready_replicas", D, "packed"): 2,
		w("node_skew", D, "packed"):               2,
		w("single_node", D, "packed"):             1,
	}))

	// Deleting spread's pod on node-3 empties zone-b for it: zone-a's
	// loss now takes it down too.
	env.DeletePod("shop", "spread-2")
	testenv.Eventually(t, 10*time.Second, expectation(t, reg, map[string]float64{
		w("ready_after_zone_loss", D, "spread"):                    0,
		`kube_reliability_zone_loss_workloads_lost{zone="zone-a"}`: 3,
		w("replicas_ready", D, "spread"):                           2,
		w("node_skew", D, "spread"):                                1,
		w("zone_skew", D, "spread"):                                2,
		w("single_zone", D, "spread"):                              1,
	}))

	// Cordoning node-3 leaves one eligible zone: one zone is all spread
	// can use, so it is no longer a single-zone finding.
	env.Cordon("node-3", true)
	testenv.Eventually(t, 10*time.Second, expectation(t, reg, map[string]float64{
		w("eligible_nodes", D, "spread"):                         2,
		w("eligible_zones", D, "spread"):                         1,
		w("node_skew", D, "spread"):                              0,
		w("zone_skew", D, "spread"):                              0,
		w("single_zone", D, "spread"):                            0,
		`kube_reliability_zone_schedulable_nodes{zone="zone-b"}`: 0,
	}))
}
