package predictions

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// Agreement per workload: the prediction names as many replicas left
// without a place as the experiment leaves not ready, and for those
// the reason the scheduler gives.
type verdict struct {
	workload            string
	predicted, observed int
	// unknown: the simulation said it cannot decide.
	unknown bool
	// predictedReason, observedReasons (the reasons rejecting the most
	// nodes in the scheduler's message).
	predictedReason  string
	predictedFilters []string
	observedReasons  []string
	topReasons       []string
	message          string
}

func (v verdict) countAgrees() bool { return v.unknown || v.predicted == v.observed }

// reasonAgrees: the reason the simulation reports is one the scheduler
// names for the workload's pending pods, or every filter the scheduler
// names is one the simulation finds refusing them. Which filter the
// scheduler names for a node turns on when it last tried (a filter it
// meets first may have passed then) and on where its scoring put the
// other pods, which the simulation does not copy.
func (v verdict) reasonAgrees() bool {
	if v.unknown || v.predicted <= 0 {
		return true
	}
	if slices.Contains(v.observedReasons, v.predictedReason) {
		return true
	}
	for _, r := range v.observedReasons {
		if !slices.Contains(v.predictedFilters, r) {
			return false
		}
	}
	return len(v.observedReasons) > 0
}

// reasonTop: the predicted reason rejects the most nodes in the
// scheduler's message too.
func (v verdict) reasonTop() bool {
	return v.unknown || v.predicted <= 0 || slices.Contains(v.topReasons, v.predictedReason)
}

// outcome is one case's result.
type outcome struct {
	c        *Case
	target   string
	verdicts []verdict
	// drain: predicted and observed hang.
	hangPredicted, hangObserved, hangUnknown bool
	took                                     time.Duration
	// predicted is the simulation's domain, before is the placement the
	// experiment started from: for failure messages.
	predicted capacity.Domain
	before    string
}

func (o *outcome) agrees() bool {
	if o.c.Experiment == Drain && !o.hangUnknown && o.hangPredicted != o.hangObserved {
		return false
	}
	for _, v := range o.verdicts {
		if !v.countAgrees() || !v.reasonAgrees() {
			return false
		}
	}
	return true
}

// TestPredictions is the battery: for each generated case the exporter's
// prediction is taken from the live state before the experiment, the
// experiment is run on the real control plane (kube-apiserver,
// kube-controller-manager, kube-scheduler, a kubelet stand-in), and the
// outcome is compared workload by workload once everything settles.
//
// KRE_PREDICTIONS sets how many cases (seeds 1..N, default 9),
// KRE_PREDICTIONS_SEEDS a comma-separated list instead, and
// KRE_PREDICTIONS_OUT a file for the agreement table.
func TestPredictions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real control plane")
	}
	seeds := seedsFromEnv(t)
	env := testenv.Start(t)
	env.StartControllerManager()
	env.StartScheduler()
	kubelet := env.StartKubelet()
	ctx := context.Background()
	for name, value := range map[string]int32{highPriority: 1000, lowPriority: -10} {
		pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}
		if _, err := env.Client.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var outcomes []*outcome
	for _, seed := range seeds {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			c := generate(seed)
			o := runCase(t, env, c)
			if err := kubelet.Err(); err != nil {
				t.Logf("kubelet stand-in: %v", err)
			}
			mu.Lock()
			outcomes = append(outcomes, o)
			mu.Unlock()
			report(t, o)
		})
	}
	if out := os.Getenv("KRE_PREDICTIONS_OUT"); out != "" {
		head := fmt.Sprintf("# Prediction battery (make predictions), %s: %d generated clusters on a real\n"+
			"# kube-apiserver, kube-controller-manager and kube-scheduler (%s) with a kubelet stand-in.\n"+
			"# Each case: predict from the exporter's own informers, run the experiment, compare per workload.\n\n",
			time.Now().UTC().Format("2006-01-02"), len(outcomes), kubeVersion(t, env))
		if err := os.WriteFile(out, []byte(head+table(outcomes)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Log("\n" + table(outcomes))
}

func seedsFromEnv(t *testing.T) []uint64 {
	if list := os.Getenv("KRE_PREDICTIONS_SEEDS"); list != "" {
		var out []uint64
		for _, s := range strings.Split(list, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			if err != nil {
				t.Fatalf("KRE_PREDICTIONS_SEEDS: %v", err)
			}
			out = append(out, n)
		}
		return out
	}
	n := 9
	if v := os.Getenv("KRE_PREDICTIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("KRE_PREDICTIONS=%q: want a positive number", v)
		}
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// runCase builds c, predicts, runs the experiment, observes and tears
// the case down.
func runCase(t *testing.T, env *testenv.Env, c *Case) *outcome {
	start := time.Now()
	ctx := context.Background()
	client := env.Client
	o := &outcome{c: c}
	defer func() { o.took = time.Since(start) }()
	t.Cleanup(func() { teardown(t, client, c) })

	for _, n := range c.Nodes {
		env.CreateNode(n)
	}
	env.EnsureNamespace(c.Namespace)
	for _, p := range c.PDBs {
		must(t, create(ctx, client.PolicyV1().PodDisruptionBudgets(c.Namespace), p))
	}
	for _, v := range c.Volumes {
		must(t, create(ctx, client.CoreV1().PersistentVolumes(), v))
	}
	for _, pvc := range c.Claims {
		must(t, create(ctx, client.CoreV1().PersistentVolumeClaims(c.Namespace), pvc))
	}
	waitBound(t, client, c)
	for _, d := range c.DaemonSets {
		must(t, create(ctx, client.AppsV1().DaemonSets(c.Namespace), d))
	}
	for _, d := range c.Deployments {
		must(t, create(ctx, client.AppsV1().Deployments(c.Namespace), d))
	}
	for _, s := range c.StatefulSets {
		must(t, create(ctx, client.AppsV1().StatefulSets(c.Namespace), s))
	}
	before, err := settle(ctx, client, c.Namespace, 90*time.Second)
	if err != nil {
		t.Fatalf("seed %d: before the experiment: %v\n%s", c.Seed, err, env.ComponentLogTail("kube-scheduler", 20))
	}
	waitPDBs(t, client, c, before)

	snap := snapshot(t, client)
	o.target = target(c, snap)
	var predicted capacity.Domain
	switch c.Experiment {
	case NodeLoss:
		predicted = find(capacity.Analyze(snap).Nodes, o.target)
	case ZoneLoss:
		predicted = find(capacity.Analyze(snap).Zones, o.target)
		if err := auditAgrees(t, client, o.target, predicted); err != nil {
			t.Errorf("seed %d: %v", c.Seed, err)
		}
	case Drain:
		predicted, _ = capacity.Drain(snap, o.target)
		o.hangPredicted, o.hangUnknown = drainHangs(snap, o.target, predicted)
	}

	o.predicted, o.before = predicted, describe(c, snap)
	for _, n := range disruption.Analyze(snap).Nodes {
		if n.Name == o.target && n.Blocked {
			o.before += fmt.Sprintf("  drain pre-flight of %s: blocked by %+v\n", n.Name, n.Blocking)
		}
	}
	var blocked map[string]bool
	switch c.Experiment {
	case NodeLoss:
		loseNodes(t, client, []string{o.target})
	case ZoneLoss:
		var nodes []string
		for _, n := range c.Nodes {
			if n.Zone == o.target {
				nodes = append(nodes, n.Name)
			}
		}
		loseNodes(t, client, nodes)
	case Drain:
		blocked = drain(t, client, o.target)
		o.hangObserved = len(blocked) > 0
	}
	after, err := settle(ctx, client, c.Namespace, 90*time.Second)
	if err != nil {
		t.Fatalf("seed %d: after the experiment: %v\n%s", c.Seed, err, env.ComponentLogTail("kube-scheduler", 20))
	}

	stranded := map[string]capacity.Stranded{}
	for _, s := range predicted.Stranded {
		stranded[s.Workload] = s
	}
	for _, s := range predicted.Unblocked {
		u := stranded[s.Workload]
		u.Pods -= s.Pods
		stranded[s.Workload] = u
	}
	undecided := map[string]bool{}
	for _, s := range predicted.Undecided {
		undecided[s.Workload] = true
	}
	var names []string
	for w := range after.desired {
		names = append(names, w)
	}
	slices.Sort(names)
	for _, w := range names {
		if blocked[w] {
			continue // its pods stay where the hung drain left them
		}
		v := verdict{
			workload: w, predicted: stranded[w].Pods, predictedReason: stranded[w].Reason, predictedFilters: stranded[w].Filters,
			observed: after.notReady(w) - before.notReady(w), unknown: undecided[w],
			observedReasons: reasonSet(after.reasons[w]), topReasons: topReasons(after.reasons[w]), message: after.messages[w],
		}
		o.verdicts = append(o.verdicts, v)
	}
	return o
}

func create[T any](ctx context.Context, c interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
}, obj T) error {
	_, err := c.Create(ctx, obj, metav1.CreateOptions{})
	return err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is the exporter's view of the cluster: its own informers.
func snapshot(t *testing.T, client kubernetes.Interface) *cluster.Snapshot {
	t.Helper()
	inf, err := kube.New(client, 0, slog.New(slog.NewTextHandler(io.Discard, nil)), kube.Resources)
	if err != nil {
		t.Fatal(err)
	}
	stop := inf.Start(context.Background())
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !inf.WaitForSync(ctx) {
		t.Fatalf("informers did not sync: %+v", inf.Status())
	}
	// Claims and volumes are not core caches: wait for them too, or
	// their pods would be predicted unknown.
	var s *cluster.Snapshot
	testenv.Eventually(t, 30*time.Second, func() error {
		var err error
		if s, err = inf.Snapshot(); err != nil {
			return err
		}
		if len(s.Unsynced) > 0 {
			return fmt.Errorf("not synced: %v", s.Unsynced)
		}
		return nil
	})
	return s
}

// waitBound waits until the volume controller has bound every claim of c
// to its volume: the scheduler places a pod only once its claims are.
func waitBound(t *testing.T, client kubernetes.Interface, c *Case) {
	t.Helper()
	if len(c.Claims) == 0 {
		return
	}
	testenv.Eventually(t, 60*time.Second, func() error {
		l, err := client.CoreV1().PersistentVolumeClaims(c.Namespace).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, pvc := range l.Items {
			if pvc.Status.Phase != corev1.ClaimBound {
				return fmt.Errorf("claim %s is %s", pvc.Name, pvc.Status.Phase)
			}
		}
		return nil
	})
}

// target picks the node or zone the experiment takes: for a node, the
// one holding the most re-creatable pods (ties by name); for a zone, the
// seed decides.
func target(c *Case, s *cluster.Snapshot) string {
	if c.Experiment == ZoneLoss {
		return c.Zones[int(c.Seed/3)%len(c.Zones)]
	}
	onNode := map[string]int{}
	for _, p := range s.Pods {
		if p.NodeName != "" && p.Namespace == c.Namespace && p.Labels["app"] != "agent" {
			onNode[p.NodeName]++
		}
	}
	best := ""
	for _, n := range c.Nodes {
		if best == "" || onNode[n.Name] > onNode[best] {
			best = n.Name
		}
	}
	return best
}

func find(ds []capacity.Domain, name string) capacity.Domain {
	for _, d := range ds {
		if d.Name == name {
			return d
		}
	}
	return capacity.Domain{Name: name}
}

// drainHangs is the exporter's answer to "does draining node hang": a
// PDB refuses an eviction now (the disruption analysis's pre-flight), or
// the drain spends a PDB's budget on pods whose replacements find no
// place (the capacity simulation); unknown where that turns on which pod
// goes last, or on pending pods the drain lets in.
func drainHangs(s *cluster.Snapshot, node string, d capacity.Domain) (hangs, unknown bool) {
	for _, n := range disruption.Analyze(s).Nodes {
		if n.Name == node && n.Blocked {
			// Refused now; unless the drain lets that workload's
			// pending pods in and its PDB allows the eviction then.
			return !d.HangUnknown, d.HangUnknown
		}
	}
	return d.Hangs, d.HangUnknown
}

// waitPDBs waits until the disruption controller has computed every
// PDB's status over the pods now ready, or evictions are refused for the
// wrong reason.
func waitPDBs(t *testing.T, client kubernetes.Interface, c *Case, s *state) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() error {
		for _, p := range c.PDBs {
			got, err := client.PolicyV1().PodDisruptionBudgets(c.Namespace).Get(context.Background(), p.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ready := 0
			for w, n := range s.ready {
				if strings.HasSuffix(w, "/"+p.Name) {
					ready = n
				}
			}
			if got.Status.ObservedGeneration < got.Generation || int(got.Status.CurrentHealthy) != ready {
				return fmt.Errorf("PDB %s: healthy %d of %d ready", p.Name, got.Status.CurrentHealthy, ready)
			}
		}
		return nil
	})
}

// loseNodes deletes the nodes, then their pods at once, as the pod
// garbage collector does for pods bound to a node that no longer exists.
// Deleting the pods first would let replacements land on the dying nodes.
func loseNodes(t *testing.T, client kubernetes.Interface, nodes []string) {
	t.Helper()
	ctx := context.Background()
	for _, n := range nodes {
		if err := client.CoreV1().Nodes().Delete(ctx, n, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The scheduler's cache drops the nodes on its own watch.
	time.Sleep(time.Second)
	zero := int64(0)
	for _, n := range nodes {
		pods, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + n})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods.Items {
			err := client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Fatal(err)
			}
		}
	}
}

// drain does what kubectl drain --ignore-daemonsets does: cordon, then
// evict every other pod through the eviction API, retrying refused
// evictions (429) for 15 s. It returns the workloads ("namespace/Kind/
// name" by the pod's app label) whose pods could still not be evicted:
// the drain hangs on them.
func drain(t *testing.T, client kubernetes.Interface, node string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	patch := []byte(`{"spec":{"unschedulable":true}}`)
	if _, err := client.CoreV1().Nodes().Patch(ctx, node, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	pods, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]corev1.Pod{}
	for _, p := range pods.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.Kind == "DaemonSet" {
			continue
		}
		left[p.Namespace+"/"+p.Name] = p
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(left) > 0 && time.Now().Before(deadline) {
		for k, p := range left {
			err := client.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}})
			switch {
			case err == nil || apierrors.IsNotFound(err):
				delete(left, k)
			case apierrors.IsTooManyRequests(err):
			default:
				t.Fatalf("evict %s: %v", k, err)
			}
		}
		if len(left) > 0 {
			time.Sleep(time.Second)
		}
	}
	blocked := map[string]bool{}
	for _, p := range left {
		kind := "Deployment"
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.Kind == "StatefulSet" {
			kind = "StatefulSet"
		}
		blocked[workloadKey(p.Namespace, kind, p.Labels["app"])] = true
	}
	return blocked
}

// teardown removes the case's workloads, pods, nodes and namespace. It
// waits until no pod of the case is left for the scheduler to place on
// the next case's nodes, not for the namespace controller (slower).
func teardown(t *testing.T, client kubernetes.Interface, c *Case) {
	ctx := context.Background()
	bg := metav1.DeletePropagationBackground
	all := metav1.DeleteOptions{PropagationPolicy: &bg}
	for _, err := range []error{
		client.AppsV1().Deployments(c.Namespace).DeleteCollection(ctx, all, metav1.ListOptions{}),
		client.AppsV1().StatefulSets(c.Namespace).DeleteCollection(ctx, all, metav1.ListOptions{}),
		client.AppsV1().DaemonSets(c.Namespace).DeleteCollection(ctx, all, metav1.ListOptions{}),
		client.AppsV1().ReplicaSets(c.Namespace).DeleteCollection(ctx, all, metav1.ListOptions{}),
	} {
		if err != nil {
			t.Errorf("teardown of %s: %v", c.Namespace, err)
		}
	}
	if err := client.CoreV1().PersistentVolumeClaims(c.Namespace).DeleteCollection(ctx, all, metav1.ListOptions{}); err != nil {
		t.Errorf("teardown of %s: %v", c.Namespace, err)
	}
	for _, v := range c.Volumes {
		if err := client.CoreV1().PersistentVolumes().Delete(ctx, v.Name, all); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete volume %s: %v", v.Name, err)
		}
	}
	for _, n := range c.Nodes {
		err := client.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete node %s: %v", n.Name, err)
		}
	}
	zero := int64(0)
	testenv.Eventually(t, 60*time.Second, func() error {
		err := client.CoreV1().Pods(c.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
		if err != nil {
			return err
		}
		pods, err := client.CoreV1().Pods(c.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods of %s left", len(pods.Items), c.Namespace)
		}
		return nil
	})
	err := client.CoreV1().Namespaces().Delete(ctx, c.Namespace, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("delete namespace %s: %v", c.Namespace, err)
	}
}

// report fails the test on any disagreement, naming the seed.
func report(t *testing.T, o *outcome) {
	t.Helper()
	if !o.agrees() {
		t.Logf("seed %d before %s of %s:\n%s\npredicted: %+v", o.c.Seed, o.c.Experiment, o.target, o.before, o.predicted)
	}
	if o.c.Experiment == Drain && !o.hangUnknown && o.hangPredicted != o.hangObserved {
		t.Errorf("seed %d: drain of %s: predicted hang %v, observed %v", o.c.Seed, o.target, o.hangPredicted, o.hangObserved)
	}
	for _, v := range o.verdicts {
		if !v.countAgrees() {
			t.Errorf("seed %d: %s of %s: %s: predicted %d replicas without a place (%s), observed %d not ready (%q)",
				o.c.Seed, o.c.Experiment, o.target, v.workload, v.predicted, v.predictedReason, v.observed, v.message)
		} else if !v.reasonAgrees() {
			t.Errorf("seed %d: %s of %s: %s: the scheduler names %v, the simulation finds %v refusing (%q)",
				o.c.Seed, o.c.Experiment, o.target, v.workload, v.observedReasons, v.predictedFilters, v.message)
		}
	}
}

// table is the agreement table of bench/predictions.txt.
func table(outcomes []*outcome) string {
	slices.SortFunc(outcomes, func(a, b *outcome) int { return int(a.c.Seed) - int(b.c.Seed) })
	var b strings.Builder
	type tally struct{ cases, agree, workloads, wAgree, stranded, unknown, topReason int }
	by := map[string]*tally{}
	total := &tally{}
	features := map[string]*tally{}
	fmt.Fprintf(&b, "%-6s %-10s %-10s %9s %9s %8s %7s %s\n", "seed", "experiment", "target", "workloads", "stranded", "unknown", "agrees", "took")
	for _, o := range outcomes {
		t := by[o.c.Experiment]
		if t == nil {
			t = &tally{}
			by[o.c.Experiment] = t
		}
		ok, stranded, unknown, top := 0, 0, 0, 0
		for _, v := range o.verdicts {
			if v.predicted > 0 && !v.unknown && v.reasonTop() {
				top++
			}
			if v.countAgrees() && v.reasonAgrees() {
				ok++
			}
			if v.observed > 0 {
				stranded++
			}
			if v.unknown {
				unknown++
			}
		}
		for _, x := range []*tally{t, total} {
			x.cases++
			x.workloads += len(o.verdicts)
			x.wAgree += ok
			x.stranded += stranded
			x.unknown += unknown
			x.topReason += top
			if o.agrees() {
				x.agree++
			}
		}
		for f := range o.c.Features {
			ft := features[f]
			if ft == nil {
				ft = &tally{}
				features[f] = ft
			}
			ft.cases++
			if o.agrees() {
				ft.agree++
			}
		}
		hang := ""
		if o.c.Experiment == Drain {
			hang = fmt.Sprintf(" hang predicted=%v observed=%v unknown=%v", o.hangPredicted, o.hangObserved, o.hangUnknown)
		}
		fmt.Fprintf(&b, "%-6d %-10s %-10s %9d %9d %8d %7v %s%s\n", o.c.Seed, o.c.Experiment, o.target, len(o.verdicts), stranded, unknown, o.agrees(), o.took.Round(100*time.Millisecond), hang)
	}
	fmt.Fprintf(&b, "\n%-10s %6s %7s %10s %11s %9s %8s %10s\n", "experiment", "cases", "agree", "workloads", "agree (wl)", "stranded", "unknown", "top reason")
	var kinds []string
	for k := range by {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range append(kinds, "all") {
		x := by[k]
		if k == "all" {
			x = total
		}
		fmt.Fprintf(&b, "%-10s %6d %7d %10d %11d %9d %8d %10d\n", k, x.cases, x.agree, x.workloads, x.wAgree, x.stranded, x.unknown, x.topReason)
	}
	b.WriteString("\nagree: cases where every workload agrees (and a drain's hang); agree (wl): workloads whose\n" +
		"replicas left without a place match (or were predicted unknown) and whose predicted reason is one\n" +
		"the scheduler names, or every filter the scheduler names one the simulation finds; stranded: workloads the experiment left short; unknown: workloads the\n" +
		"simulation said it cannot decide; top reason: stranded workloads whose predicted reason is also\n" +
		"the one rejecting the most nodes in the scheduler's message.\n")
	fmt.Fprintf(&b, "\n%-24s %6s %7s\n", "cases exercising", "cases", "agree")
	var fs []string
	for f := range features {
		fs = append(fs, f)
	}
	slices.Sort(fs)
	for _, f := range fs {
		fmt.Fprintf(&b, "%-24s %6d %7d\n", f, features[f].cases, features[f].agree)
	}
	return b.String()
}

// describe prints the case's nodes and where its pods run.
func describe(c *Case, s *cluster.Snapshot) string {
	var b strings.Builder
	pods := map[string][]string{}
	for _, p := range s.Pods {
		if p.Namespace == c.Namespace && p.NodeName != "" {
			pods[p.NodeName] = append(pods[p.NodeName], p.Name)
		}
	}
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "  node %s zone=%s cpu=%s mem=%s pods=%d ext=%v labels=%v taints=%v cordoned=%v: %v\n",
			n.Name, n.Zone, n.CPU, n.Memory, n.Pods, n.Extended, n.Labels, n.Taints, n.Unschedulable, pods[n.Name])
	}
	for _, w := range cluster.Workloads(s) {
		if w.Meta.Namespace != c.Namespace || w.Template == nil {
			continue
		}
		spec := w.Template.Spec
		fmt.Fprintf(&b, "  %s %s: req=%v sel=%v tol=%d affinity=%s spread=%s prio=%s ports=%v\n", w.Kind, w.Meta.Name,
			spec.Containers[0].Resources.Requests, spec.NodeSelector, len(spec.Tolerations), affinityOf(spec.Affinity),
			spreadOf(spec.TopologySpreadConstraints), spec.PriorityClassName, spec.Containers[0].Ports)
	}
	for _, v := range c.Volumes {
		fmt.Fprintf(&b, "  volume %s for %s in %v\n", v.Name, v.Spec.ClaimRef.Name, v.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values)
	}
	return b.String()
}

func affinityOf(a *corev1.Affinity) string {
	if a == nil {
		return "-"
	}
	var out []string
	if a.PodAntiAffinity != nil {
		for _, t := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			out = append(out, "anti:"+t.TopologyKey)
		}
		if len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0 {
			out = append(out, "anti-preferred")
		}
	}
	if a.PodAffinity != nil {
		for _, t := range a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			out = append(out, fmt.Sprintf("with:%v@%s", t.LabelSelector.MatchLabels, t.TopologyKey))
		}
	}
	return strings.Join(out, ",")
}

func spreadOf(cs []corev1.TopologySpreadConstraint) string {
	var out []string
	for _, c := range cs {
		md := ""
		if c.MinDomains != nil {
			md = fmt.Sprintf(" minDomains=%d", *c.MinDomains)
		}
		out = append(out, fmt.Sprintf("%s/%s%s", c.TopologyKey, c.WhenUnsatisfiable, md))
	}
	return strings.Join(out, ",")
}

func kubeVersion(t *testing.T, env *testenv.Env) string {
	v, err := env.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v.GitVersion
}
