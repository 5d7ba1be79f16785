package predictions

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// state is what the cluster shows of one case's workloads once the
// controllers and the scheduler have settled.
type state struct {
	// desired and ready replicas, and pods the scheduler leaves Pending
	// with its reasons (reason -> nodes it rejected for it), by workload
	// ("namespace/Kind/name").
	desired, ready, pending map[string]int
	reasons                 map[string]map[string]int
	messages                map[string]string
}

// notReady is how many of w's desired replicas are not Running and Ready.
func (s *state) notReady(w string) int { return s.desired[w] - s.ready[w] }

// settle waits until every pod of the namespace is either Running and
// Ready on a node or Pending with the scheduler's Unschedulable verdict,
// none is being deleted or waits on a preemption, every Deployment and
// StatefulSet has its replicas' pods, and that has held for 2 s.
func settle(ctx context.Context, c kubernetes.Interface, ns string, limit time.Duration) (*state, error) {
	deadline := time.Now().Add(limit)
	last, stable := "", 0
	var why string
	for time.Now().Before(deadline) {
		s, signature, err := look(ctx, c, ns)
		switch {
		case err != nil:
			why = err.Error()
			stable = 0
		case signature != last:
			last, stable = signature, 1
		default:
			stable++
			if stable >= 5 {
				return s, nil
			}
		}
		if err == nil {
			why = "changing: " + signature
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("namespace %s did not settle in %s: %s", ns, limit, why)
}

// look reads the namespace once; an error says why it is not settled.
func look(ctx context.Context, c kubernetes.Interface, ns string) (*state, string, error) {
	s := &state{desired: map[string]int{}, ready: map[string]int{}, pending: map[string]int{},
		reasons: map[string]map[string]int{}, messages: map[string]string{}}
	byApp := map[string]string{}
	deps, err := c.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, "", err
	}
	for _, d := range deps.Items {
		w := workloadKey(ns, "Deployment", d.Name)
		s.desired[w] = int(*d.Spec.Replicas)
		byApp[d.Spec.Selector.MatchLabels["app"]] = w
	}
	sts, err := c.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, "", err
	}
	for _, d := range sts.Items {
		w := workloadKey(ns, "StatefulSet", d.Name)
		s.desired[w] = int(*d.Spec.Replicas)
		byApp[d.Spec.Selector.MatchLabels["app"]] = w
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, "", err
	}
	count := map[string]int{}
	var sig []string
	for i := range pods.Items {
		p := &pods.Items[i]
		w, ok := byApp[p.Labels["app"]]
		if p.DeletionTimestamp != nil {
			return nil, "", fmt.Errorf("pod %s is terminating", p.Name)
		}
		if p.Status.NominatedNodeName != "" && p.Spec.NodeName == "" {
			return nil, "", fmt.Errorf("pod %s waits on preemption at %s", p.Name, p.Status.NominatedNodeName)
		}
		count[w]++
		switch {
		case p.Spec.NodeName != "" && testenv.RunningReady(p):
			if ok {
				s.ready[w]++
			}
			sig = append(sig, p.Name+"@"+p.Spec.NodeName)
		case p.Spec.NodeName == "":
			msg, unschedulable := unschedulableMessage(p)
			if !unschedulable {
				return nil, "", fmt.Errorf("pod %s not yet tried by the scheduler", p.Name)
			}
			if ok {
				s.pending[w]++
				if s.reasons[w] == nil {
					s.reasons[w] = parseReasons(msg)
					s.messages[w] = msg
				}
			}
			sig = append(sig, p.Name+"@pending")
		default:
			return nil, "", fmt.Errorf("pod %s bound to %s, not yet running", p.Name, p.Spec.NodeName)
		}
	}
	for w, n := range s.desired {
		if count[w] != n {
			return nil, "", fmt.Errorf("%s has %d of %d pods", w, count[w], n)
		}
	}
	slices.Sort(sig)
	return s, strings.Join(sig, " "), nil
}

func unschedulableMessage(p *corev1.Pod) (string, bool) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Message, true
		}
	}
	return "", false
}

// The scheduler's words for each filter's rejection, mapped to the
// simulation's reasons (internal/capacity).
var reasonWords = []struct{ prefix, reason string }{
	{"Too many pods", "pod_count"},
	{"node(s) were unschedulable", "node_unschedulable"},
	{"node(s) had untolerated taint", "taint"},
	{"node(s) didn't match Pod's node affinity/selector", "node_selector_or_affinity"},
	{"node(s) didn't have free ports for the requested pod ports", "host_port"},
	{"node(s) didn't match pod topology spread constraints", "topology_spread"},
	{"node(s) didn't match pod affinity rules", "pod_affinity"},
	{"node(s) didn't match pod anti-affinity rules", "pod_anti_affinity"},
	{"node(s) didn't satisfy existing pods anti-affinity rules", "pod_anti_affinity"},
	{"node(s) had volume node affinity conflict", "volume_zone"},
	{"node(s) didn't match PersistentVolume's node affinity", "volume_zone"},
	{"node(s) had no available volume zone", "volume_zone"},
}

var countedPart = regexp.MustCompile(`^(\d+) (.*)$`)

// parseReasons reads "0/5 nodes are available: 2 Insufficient cpu, 3
// node(s) didn't match pod anti-affinity rules. preemption: ..." into
// reason -> nodes.
func parseReasons(msg string) map[string]int {
	out := map[string]int{}
	_, rest, ok := strings.Cut(msg, "nodes are available: ")
	if !ok {
		out["unknown"] = 1
		return out
	}
	if i := strings.Index(rest, ". preemption:"); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimSuffix(rest, ".")
	var parts []string
	for _, p := range strings.Split(rest, ", ") {
		if countedPart.MatchString(p) || len(parts) == 0 {
			parts = append(parts, p)
		} else {
			parts[len(parts)-1] += ", " + p
		}
	}
	for _, p := range parts {
		m := countedPart.FindStringSubmatch(p)
		if m == nil {
			out["unknown"]++
			continue
		}
		n, _ := strconv.Atoi(m[1])
		out[reasonOf(m[2])] += n
	}
	return out
}

func reasonOf(words string) string {
	if r, ok := strings.CutPrefix(words, "Insufficient "); ok {
		return "insufficient_" + strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(r)
	}
	for _, w := range reasonWords {
		if strings.HasPrefix(words, w.prefix) {
			return w.reason
		}
	}
	return "unknown"
}

// topReasons are the reasons rejecting the most nodes.
func topReasons(r map[string]int) []string {
	most := 0
	for _, n := range r {
		most = max(most, n)
	}
	var out []string
	for reason, n := range r {
		if n == most {
			out = append(out, reason)
		}
	}
	slices.Sort(out)
	return out
}

// reasonSet lists every reason in the message.
func reasonSet(r map[string]int) []string {
	var out []string
	for reason := range r {
		out = append(out, reason)
	}
	slices.Sort(out)
	return out
}
