package collector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/ingress"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestNginxPodIdentityLive: real nginx masters put in the cgroups the
// kubelet would give their pods; the agent's pod watch (as the shipped
// agent role, this node's pods only) names each instance's pod. An nginx
// of a pod on another node is not named, and one on the host is host.
func TestNginxPodIdentityLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver and nginx")
	}
	env := testenv.Start(t)
	bindRole(t, env, "../deploy/kustomize/base/agent-clusterrole.yaml")
	// The agent's own role: metadata of its node's pods is all it may read.
	client := metadata.NewForConfigOrDie(env.ServiceAccountConfig("kube-reliability", "exporter"))

	here := env.CreatePod(testenv.PodSpec{Namespace: "ingress", Name: "controller-a", Node: "node-a", Ready: true})
	there := env.CreatePod(testenv.PodSpec{Namespace: "ingress", Name: "controller-b", Node: "node-b", Ready: true})
	// A static pod: the kubelet runs it under its manifest's hash, which
	// the mirror pod in the API carries in an annotation.
	const staticUID = "5ad5e3f1c0a84e2b9d7f6a1c3e5b7d9f"
	mirror := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "edge-proxy-node-a", Namespace: "kube-system",
			Annotations: map[string]string{"kubernetes.io/config.mirror": staticUID, "kubernetes.io/config.source": "file"}},
		Spec: corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1"}}},
	}
	if _, err := env.Client.CoreV1().Pods("kube-system").Create(context.Background(), mirror, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create mirror pod: %v", err)
	}

	files := map[string][]byte{"index.html": []byte("ok")}
	named := testenv.StartNginx(t, testenv.NginxSpec{Files: files, Cgroup: testenv.PodCgroup(t, string(here.UID))})
	elsewhere := testenv.StartNginx(t, testenv.NginxSpec{Files: files, Cgroup: testenv.PodCgroup(t, string(there.UID))})
	static := testenv.StartNginx(t, testenv.NginxSpec{Files: files, Cgroup: testenv.PodCgroup(t, staticUID)})
	onHost := testenv.StartNginx(t, testenv.NginxSpec{Files: files})

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pods, err := kube.NewNodePods(client, "node-a", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pods.Start(context.Background()))
	tracker := ingress.NewTracker("/proc", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); tracker.Run(ctx, 100*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })

	reg := registry(t, collector.Deps{Logger: logger, Nginx: tracker, NodePods: pods}, "nginx")

	port := func(n *testenv.Nginx) string { return fmt.Sprint(n.Port) }
	want := map[string]float64{
		series("kube_reliability_nginx_reloads_total", "namespace", "ingress", "pod", "controller-a", "listen", port(named)):                    1,
		series("kube_reliability_nginx_reloads_total", "namespace", "", "pod", "", "listen", port(elsewhere)):                                   0,
		series("kube_reliability_nginx_reloads_total", "namespace", "kube-system", "pod", "edge-proxy-node-a", "listen", port(static)):          0,
		series("kube_reliability_nginx_reloads_total", "namespace", "", "pod", "", "listen", port(onHost)):                                      0,
		series("kube_reliability_nginx_shutting_down_client_connections", "namespace", "ingress", "pod", "controller-a", "listen", port(named)): 0,
		series("kube_reliability_nginx_instances_without_pod", "reason", "pod_not_found"):                                                       1,
		series("kube_reliability_nginx_instances_without_pod", "reason", "pending"):                                                             0,
		series("kube_reliability_nginx_proc_read_errors_total", "reason", "permission"):                                                         0,
	}
	namedKey := series("kube_reliability_nginx_reloads_total", "namespace", "ingress", "pod", "controller-a", "listen", port(named))
	testenv.Eventually(t, 30*time.Second, func() error {
		if _, ok := samples(t, reg)[namedKey]; !ok {
			return fmt.Errorf("instance not named yet: %v", keysWith(samples(t, reg), "reloads_total"))
		}
		return nil
	})
	if err := syscall.Kill(named.PID, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, expectation(t, reg, want))
}

// series spells a sample as samples() keys it: labels sorted by name.
func series(name string, kv ...string) string {
	var l []string
	for i := 0; i < len(kv); i += 2 {
		l = append(l, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
	}
	sort.Strings(l)
	return name + "{" + strings.Join(l, ",") + "}"
}

func keysWith(got map[string]float64, part string) []string {
	var out []string
	for k := range got {
		if strings.Contains(k, part) {
			out = append(out, k)
		}
	}
	return out
}
