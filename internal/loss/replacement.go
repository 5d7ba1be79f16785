package loss

import (
	"math"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// DefaultUnreachableSeconds is how long a pod tolerates an unreachable
// node unless its spec says otherwise: the API server's
// DefaultTolerationSeconds admission plugin adds this toleration
// (--default-unreachable-toleration-seconds, 300 by default).
const DefaultUnreachableSeconds = 300

// Delayed is a workload whose pods on a node that stops answering are
// replaced later than the default.
type Delayed struct {
	Ref
	// Seconds after the node is marked unreachable until its pods are
	// evicted and replaced; +Inf when they never are by themselves.
	Seconds float64
	// Why: "toleration" (its tolerationSeconds, or a toleration without
	// any: forever) or "statefulset" (a StatefulSet creates a pod of the
	// same name only once the old one is gone, which takes the Node's
	// deletion or a force delete).
	Why string
}

// replacementDelay is when a lost node's pods of w are replaced, counted
// from the moment the node lifecycle controller taints the node
// node.kubernetes.io/unreachable:NoExecute (node-monitor-grace-period
// after its last heartbeat): the taint manager evicts each pod after the
// smallest tolerationSeconds of the tolerations matching that taint, never
// when they match it without one; a ReplicaSet replaces an evicted pod
// at once, while it is still Terminating on the silent node.
func replacementDelay(w *cluster.Workload) (seconds float64, why string) {
	if w.Kind == cluster.KindStatefulSet {
		return math.Inf(1), "statefulset"
	}
	if w.Template == nil {
		return DefaultUnreachableSeconds, ""
	}
	taint := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	matched, least := false, int64(math.MaxInt64)
	for _, t := range w.Template.Spec.Tolerations {
		if !t.ToleratesTaint(klog.Background(), &taint, false) {
			continue
		}
		matched = true
		if t.TolerationSeconds != nil {
			least = min(least, max(*t.TolerationSeconds, 0))
		}
	}
	switch {
	case !matched:
		return DefaultUnreachableSeconds, ""
	case least == math.MaxInt64:
		return math.Inf(1), "toleration"
	}
	return float64(least), "toleration"
}
