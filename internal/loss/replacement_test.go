package loss

import (
	"math"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

func TestReplacementDelay(t *testing.T) {
	secs := func(n int64) *int64 { return &n }
	unreachable := func(s *int64) corev1.Toleration {
		return corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: s}
	}
	for _, c := range []struct {
		name        string
		kind        string
		tolerations []corev1.Toleration
		want        float64
		why         string
	}{
		{"admission's default", cluster.KindDeployment, nil, 300, ""},
		{"shorter", cluster.KindDeployment, []corev1.Toleration{unreachable(secs(30))}, 30, "toleration"},
		{"longer", cluster.KindDeployment, []corev1.Toleration{unreachable(secs(3600))}, 3600, "toleration"},
		{"the smallest of two", cluster.KindDeployment, []corev1.Toleration{unreachable(secs(3600)), unreachable(secs(600))}, 600, "toleration"},
		{"negative is now", cluster.KindDeployment, []corev1.Toleration{unreachable(secs(-5))}, 0, "toleration"},
		{"forever", cluster.KindDeployment, []corev1.Toleration{unreachable(nil)}, math.Inf(1), "toleration"},
		{"tolerate everything", cluster.KindDeployment, []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, math.Inf(1), "toleration"},
		{"a NoSchedule toleration does not count", cluster.KindDeployment, []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}, 300, ""},
		{"statefulset", cluster.KindStatefulSet, []corev1.Toleration{unreachable(secs(10))}, math.Inf(1), "statefulset"},
	} {
		w := &cluster.Workload{Kind: c.kind, Meta: &metav1.ObjectMeta{Name: "w"}, Template: &cluster.Template{Spec: &corev1.PodSpec{Tolerations: c.tolerations}}}
		got, why := replacementDelay(w)
		if got != c.want || why != c.why {
			t.Errorf("%s: got %v (%q), want %v (%q)", c.name, got, why, c.want, c.why)
		}
	}
}
