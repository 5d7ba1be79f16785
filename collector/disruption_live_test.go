package collector_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

func pdbKey(name, pdb string) string {
	return fmt.Sprintf(`kube_reliability_pdb_%s{namespace="shop",poddisruptionbudget=%q}`, name, pdb)
}

// TestDisruptionLive builds each PDB situation with the real controllers
// (Deployments make ReplicaSets and Pods, the disruption controller computes
// PDB status), checks the exact values, then proves every verdict with the
// API server's own eviction subresource.
func TestDisruptionLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and kube-controller-manager")
	}
	env := testenv.Start(t)
	env.StartControllerManager()
	client := bindShippedRole(t, env)
	ctx := context.Background()
	env.CreateNode(testenv.NodeSpec{Name: "node-1", Zone: "zone-a"})
	env.CreateNode(testenv.NodeSpec{Name: "node-2", Zone: "zone-b"})

	for _, app := range []string{"web", "db", "api", "lonely"} {
		env.CreateDeployment("shop", app, 3, nil)
	}
	pods := map[string]string{} // app -> one pod name
	for _, app := range []string{"web", "db", "api", "lonely"} {
		pods[app] = env.RunPods("shop", "app="+app, 3, "node-1", "node-2")[0].Name
	}
	mkPDB := func(name, app string, minAvailable intstr.IntOrString) {
		_, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvailable,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	mkPDB("web-2", "web", intstr.FromInt32(2))      // allows one disruption
	mkPDB("db-3", "db", intstr.FromInt32(3))        // minAvailable = replicas: blocks every drain
	mkPDB("api-a", "api", intstr.FromString("50%")) // two PDBs over the same pods
	mkPDB("api-b", "api", intstr.FromInt32(1))
	mkPDB("nothing", "ghost", intstr.FromInt32(1)) // selects no pod

	reg := liveRegistry(t, client, collector.Deps{}, "disruption")

	const D = "Deployment"
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		w("pdb_covered", D, "lonely"):             0,
		w("pdb_covered", D, "web"):                1,
		w("pods_with_multiple_pdbs", D, "web"):    0,
		w("pods_with_multiple_pdbs", D, "api"):    3,
		w("pods_with_multiple_pdbs", D, "lonely"): -1,
		pdbKey("blocks_drain", "db-3"):            1,
		pdbKey("blocks_drain", "web-2"):           0,
		pdbKey("selected_pods", "db-3"):           3,
		pdbKey("expected_pods", "db-3"):           3,
		pdbKey("desired_healthy_pods", "web-2"):   2,
		pdbKey("desired_healthy_pods", "api-a"):   2, // 50% of 3, rounded up
		pdbKey("expected_pods", "api-a"):          3,
		pdbKey("selected_pods", "nothing"):        0,
		pdbKey("blocks_drain", "nothing"):         0,
		pdbKey("invalid", "web-2"):                0,
	}))

	// The disruption controller must have computed every PDB before the
	// eviction API is asked, or it refuses for the wrong reason.
	testenv.Eventually(t, 60*time.Second, func() error {
		for _, name := range []string{"web-2", "db-3", "api-a", "api-b"} {
			p, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Status.ObservedGeneration != p.Generation || p.Status.ExpectedPods != 3 || p.Status.CurrentHealthy != 3 {
				return fmt.Errorf("pdb %s status not computed yet: %+v", name, p.Status)
			}
			wantAllowed := map[string]int32{"web-2": 1, "db-3": 0, "api-a": 1, "api-b": 2}[name]
			if p.Status.DisruptionsAllowed != wantAllowed {
				return fmt.Errorf("pdb %s allows %d disruptions, want %d", name, p.Status.DisruptionsAllowed, wantAllowed)
			}
		}
		return nil
	})

	// The analyzer's verdicts, proven by the API server:
	// web-2 does not block: an eviction succeeds.
	if err := env.Evict("shop", pods["web"]); err != nil {
		t.Errorf("evicting a web pod under a non-blocking PDB: %v", err)
	}
	// db-3 blocks drains: the eviction is refused with 429.
	if err := env.Evict("shop", pods["db"]); !apierrors.IsTooManyRequests(err) {
		t.Errorf("evicting a db pod under a blocking PDB: err = %v, want 429 Too Many Requests", err)
	}
	// api pods are matched by two PDBs: the eviction fails outright.
	err := env.Evict("shop", pods["api"])
	if err == nil || !strings.Contains(err.Error(), "more than one PodDisruptionBudget") {
		t.Errorf("evicting an api pod matched by two PDBs: err = %v, want the more-than-one-PodDisruptionBudget refusal", err)
	}
	// lonely has no PDB: nothing stops an eviction.
	if err := env.Evict("shop", pods["lonely"]); err != nil {
		t.Errorf("evicting an uncovered pod: %v", err)
	}
}

func mustSpec(t *testing.T, name string) *collector.Spec {
	t.Helper()
	for _, s := range collector.All {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no collector %q", name)
	return nil
}

// TestDrainPreflightLive: per node, whether a drain would hang right now,
// proven by the eviction API under the real disruption controller. node-1
// holds both db pods, whose PDB requires both (no disruption allowed):
// blocked. node-2 holds one web pod (its PDB allows one disruption) and a
// pod no PDB covers: drainable, and every pod on it is evicted. node-3
// holds the api pod two PDBs select: blocked, and the eviction says so.
func TestDrainPreflightLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and kube-controller-manager")
	}
	env := testenv.Start(t)
	env.StartControllerManager()
	client := bindShippedRole(t, env)
	ctx := context.Background()
	for _, n := range []string{"node-1", "node-2", "node-3"} {
		env.CreateNode(testenv.NodeSpec{Name: n, Zone: "zone-a"})
	}
	replicas := map[string]int32{"db": 2, "web": 3, "api": 1, "lonely": 1}
	for app, n := range replicas {
		env.CreateDeployment("shop", app, n, nil)
	}
	onNode := map[string][]string{}
	place := func(app string, nodes ...string) {
		for _, p := range env.RunPods("shop", "app="+app, int(replicas[app]), nodes...) {
			onNode[p.Spec.NodeName] = append(onNode[p.Spec.NodeName], p.Name)
		}
	}
	place("db", "node-1")
	place("web", "node-1", "node-2", "node-3")
	place("api", "node-3")
	place("lonely", "node-2")
	mkPDB := func(name, app string, minAvailable int32) {
		ma := intstr.FromInt32(minAvailable)
		if _, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &ma,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mkPDB("db", "db", 2)
	mkPDB("web", "web", 2)
	mkPDB("api-a", "api", 1)
	mkPDB("api-b", "api", 0)

	reg := liveRegistry(t, client, collector.Deps{}, "disruption")
	node := func(n string) string { return fmt.Sprintf(`kube_reliability_node_drain_blocked{node=%q}`, n) }
	blocking := func(n, pdb, reason string) string {
		return fmt.Sprintf(`kube_reliability_node_drain_blocking_pdb{namespace="shop",node=%q,poddisruptionbudget=%q,reason=%q}`, n, pdb, reason)
	}
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		node("node-1"): 1, node("node-2"): 0, node("node-3"): 1,
		blocking("node-1", "db", "no_disruptions_allowed"):  1,
		blocking("node-3", "api-a", "multiple_pdbs"):        1,
		blocking("node-3", "api-b", "multiple_pdbs"):        1,
		blocking("node-1", "web", "no_disruptions_allowed"): -1, // web allows one
		blocking("node-2", "web", "no_disruptions_allowed"): -1,
		`kube_reliability_nodes_drain_blocked{}`:            2,
	}))

	// The disruption controller must have computed the budgets first.
	testenv.Eventually(t, 60*time.Second, func() error {
		for name, allowed := range map[string]int32{"db": 0, "web": 1} {
			p, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Status.ObservedGeneration != p.Generation || p.Status.DisruptionsAllowed != allowed {
				return fmt.Errorf("pdb %s: %+v, want %d disruptions allowed", name, p.Status, allowed)
			}
		}
		return nil
	})
	// node-1: blocked, the eviction of its db pod is refused.
	var dbPod string
	for _, p := range onNode["node-1"] {
		if strings.HasPrefix(p, "db-") {
			dbPod = p
		}
	}
	if err := env.Evict("shop", dbPod); !apierrors.IsTooManyRequests(err) {
		t.Errorf("evicting %s on node-1 (drain blocked): err = %v, want 429", dbPod, err)
	}
	// node-2: drainable, every pod on it is evicted.
	for _, p := range onNode["node-2"] {
		if err := env.Evict("shop", p); err != nil {
			t.Errorf("draining node-2, evicting %s: %v", p, err)
		}
	}
	// node-3: blocked, the api pod is under two PDBs.
	for _, p := range onNode["node-3"] {
		if strings.HasPrefix(p, "api-") {
			if err := env.Evict("shop", p); err == nil || !strings.Contains(err.Error(), "more than one PodDisruptionBudget") {
				t.Errorf("evicting %s on node-3: err = %v, want the more-than-one-PodDisruptionBudget refusal", p, err)
			}
		}
	}
}

// TestUnhealthyPodEvictionLive proves the drain pre-flight's rules for pods
// that are not ready with the real eviction subresource and disruption
// controller: crash-looping pods under a default-policy PDB whose budget
// is not met are refused (and flagged), an unready pod under a met budget
// is evicted although no disruption is allowed, and AlwaysAllow lets the
// crash-looping pods go.
func TestUnhealthyPodEvictionLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and kube-controller-manager")
	}
	env := testenv.Start(t)
	env.StartControllerManager()
	client := bindShippedRole(t, env)
	ctx := context.Background()
	for _, n := range []string{"node-1", "node-2", "node-3"} {
		env.CreateNode(testenv.NodeSpec{Name: n, Zone: "zone-a"})
	}
	env.CreateDeployment("shop", "flaky", 2, nil)
	env.CreateDeployment("shop", "web", 3, nil)
	flaky := env.RunPods("shop", "app=flaky", 2, "node-1")
	for _, p := range flaky {
		env.SetPodCrashLooping(p)
	}
	web := env.RunPods("shop", "app=web", 3, "node-2", "node-3", "node-3")
	env.SetPodStatus(web[0], false, "") // unready on node-2
	mkPDB := func(name string, minAvailable int32) {
		ma := intstr.FromInt32(minAvailable)
		if _, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Create(ctx, &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &ma,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mkPDB("flaky", 1) // 0 healthy of 1
	mkPDB("web", 2)   // 2 healthy of 2: met, no disruption allowed

	reg := liveRegistry(t, client, collector.Deps{}, "disruption")
	node := func(n string) string { return fmt.Sprintf(`kube_reliability_node_drain_blocked{node=%q}`, n) }
	blocking := func(n, pdb, reason string) string {
		return fmt.Sprintf(`kube_reliability_node_drain_blocking_pdb{namespace="shop",node=%q,poddisruptionbudget=%q,reason=%q}`, n, pdb, reason)
	}
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		node("node-1"): 1, node("node-2"): 0, node("node-3"): 1,
		blocking("node-1", "flaky", "unhealthy_pod_guarded"): 1,
		blocking("node-3", "web", "no_disruptions_allowed"):  1,
		blocking("node-2", "web", "no_disruptions_allowed"):  -1,
		pdbKey("crashlooping_pods", "flaky"):                 2,
		pdbKey("crashlooping_pods", "web"):                   -1,
	}))

	testenv.Eventually(t, 60*time.Second, func() error {
		for name, healthy := range map[string]int32{"flaky": 0, "web": 2} {
			p, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Status.ObservedGeneration != p.Generation || p.Status.CurrentHealthy != healthy || p.Status.DisruptionsAllowed != 0 {
				return fmt.Errorf("pdb %s: %+v, want %d healthy, 0 disruptions allowed", name, p.Status, healthy)
			}
		}
		return nil
	})
	if err := env.Evict("shop", flaky[0].Name); !apierrors.IsTooManyRequests(err) {
		t.Errorf("evicting crash-looping %s (budget not met, default policy): err = %v, want 429", flaky[0].Name, err)
	}
	if err := env.Evict("shop", web[2].Name); !apierrors.IsTooManyRequests(err) {
		t.Errorf("evicting ready %s on node-3 (no disruption allowed): err = %v, want 429", web[2].Name, err)
	}
	if err := env.Evict("shop", web[0].Name); err != nil {
		t.Errorf("draining node-2, evicting unready %s (budget met): %v", web[0].Name, err)
	}

	// AlwaysAllow: the crash-looping pods go, and the exporter says so.
	patch := []byte(`{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}`)
	if _, err := env.Client.PolicyV1().PodDisruptionBudgets("shop").Patch(ctx, "flaky", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		node("node-1"):                       0,
		pdbKey("crashlooping_pods", "flaky"): -1,
	}))
	for _, p := range flaky {
		if err := env.Evict("shop", p.Name); err != nil {
			t.Errorf("draining node-1 under AlwaysAllow, evicting %s: %v", p.Name, err)
		}
	}
}
