package collector_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kubeversions"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestVersionsLive builds each situation on the real v1.37.2 API server:
// nodes whose kubelets are four minors behind and two ahead, a kube-proxy
// DaemonSet four minors behind on one node, a client listing DRA's
// resource.k8s.io/v1beta1 (which 1.38 removes), and an ingress-nginx
// Deployment on v1.11.4; as the shipped role, the exporter reports each
// exact value.
func TestVersionsLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.StartWithFlags(t, "--runtime-config=resource.k8s.io/v1beta1=true")
	ctx := context.Background()
	kubelets := map[string]string{"current": "v1.37.2", "behind": "v1.33.9", "ahead": "v1.39.0", "edge": "v1.34.1"}
	for name, v := range kubelets {
		n := env.CreateNode(testenv.NodeSpec{Name: name})
		n.Status.NodeInfo.KubeletVersion = v
		if _, err := env.Client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	env.EnsureNamespace("kube-system")
	ds, err := env.Client.AppsV1().DaemonSets("kube-system").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-proxy"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"k8s-app": "kube-proxy"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy:v1.33.9"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env.PodsOn("kube-system", "kube-proxy", "DaemonSet", &ds.ObjectMeta, ds.Spec.Template.Labels, "behind")

	env.EnsureNamespace("ingress-nginx")
	image := func(img string) func(*appsv1.Deployment) {
		return func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = img }
	}
	dep := env.CreateDeployment("ingress-nginx", "controller", 2, image("registry.k8s.io/ingress-nginx/controller:v1.11.4@sha256:0123"))
	rs := env.CreateReplicaSet("ingress-nginx", "controller-7d9", 2, dep, nil)
	env.PodsOn("ingress-nginx", "controller-7d9", "ReplicaSet", &rs.ObjectMeta, dep.Spec.Template.Labels, "current", "edge")
	tr := env.CreateDeployment("ingress-nginx", "traefik", 1, image("traefik:latest"))
	trs := env.CreateReplicaSet("ingress-nginx", "traefik-5f6", 1, tr, nil)
	env.PodsOn("ingress-nginx", "traefik-5f6", "ReplicaSet", &trs.ObjectMeta, tr.Spec.Template.Labels, "current")

	// A client still on DRA's v1beta1.
	if err := env.Client.Discovery().RESTClient().Get().AbsPath("/apis/resource.k8s.io/v1beta1/deviceclasses").Do(ctx).Error(); err != nil {
		t.Fatal(err)
	}

	client := bindShippedRole(t, env)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := etcd.NewStorageMonitor(kube.APIServerMetrics(client), 5*time.Second, logger)
	reg := liveRegistry(t, client, collector.Deps{Storage: m, APIServerVersion: kube.APIServerVersion(client)}, "versions", "deprecated_apis", "controller_versions")
	eol := float64(time.Date(2027, 10, 28, 0, 0, 0, 0, time.UTC).Unix())
	ing := `namespace="ingress-nginx",version="v1.11.4",workload="controller",workload_kind="Deployment"`
	want := map[string]float64{
		`kube_reliability_apiserver_version_info{git_version="v1.37.2",minor="1.37"}`:                                                                                                                    1,
		`kube_reliability_apiserver_end_of_life_timestamp_seconds{minor="1.37"}`:                                                                                                                         eol,
		`kube_reliability_nodes_by_component_version{component="kubelet",version="v1.37.2"}`:                                                                                                             1,
		`kube_reliability_nodes_by_component_version{component="kubelet",version="v1.33.9"}`:                                                                                                             1,
		`kube_reliability_nodes_by_component_version{component="kube-proxy",version="v1.33.9"}`:                                                                                                          1,
		`kube_reliability_nodes_component_version_unknown{component="kube-proxy"}`:                                                                                                                       3,
		`kube_reliability_nodes_component_version_unknown{component="kubelet"}`:                                                                                                                          0,
		`kube_reliability_node_version_skew_minors{component="kubelet",node="behind",version="v1.33.9"}`:                                                                                                 4,
		`kube_reliability_node_version_skew_minors{component="kube-proxy",node="behind",version="v1.33.9"}`:                                                                                              4,
		`kube_reliability_node_version_skew_minors{component="kubelet",node="ahead",version="v1.39.0"}`:                                                                                                  -2,
		`kube_reliability_node_version_skew_minors{component="kubelet",node="edge",version="v1.34.1"}`:                                                                                                   -1, // within: absent
		`kube_reliability_apiserver_deprecated_api_minors_until_removal{group="resource.k8s.io",resource="deviceclasses",subresource="",version="v1beta1"}`:                                              1,
		`kube_reliability_apiserver_deprecated_api_requested{group="resource.k8s.io",removed_release="1.38",replacement="resource.k8s.io/v1",resource="deviceclasses",subresource="",version="v1beta1"}`: 1,
		`kube_reliability_ingress_controller_pods{controller="ingress-nginx",` + ing + `}`:                                                                                                               2,
		`kube_reliability_ingress_controller_known_issue{controller="ingress-nginx",issue="CVE-2025-1974",kind="vulnerability",` + ing + `,severity="critical"}`:                                         1,
		`kube_reliability_ingress_controller_known_issue{controller="ingress-nginx",issue="retired",kind="retired",` + ing + `,severity="warning"}`:                                                      1,
		`kube_reliability_ingress_controller_version_unknown{controller="traefik",namespace="ingress-nginx",workload="traefik",workload_kind="Deployment"}`:                                              1,
	}
	// The label order above is written by hand; samples sorts labels.
	want = sortKeys(want)
	testenv.Eventually(t, 30*time.Second, func() error {
		m.PollOnce(ctx)
		return expectation(t, reg, want)()
	})
}

// TestKubeversionsTableMatchesTheAPIServer: for every deprecated API the
// real server reports a removal release for, the shipped table names the
// same release (the table's scheduled rows come from that server).
func TestKubeversionsTableMatchesTheAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.StartWithFlags(t, "--runtime-config=api/beta=true")
	ctx := context.Background()
	_, lists, err := env.Client.Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	rc := env.Client.Discovery().RESTClient()
	for _, l := range lists {
		for _, r := range l.APIResources {
			if l.GroupVersion == "v1" || len(r.Name) == 0 || containsSlash(r.Name) {
				continue
			}
			_ = rc.Get().AbsPath("/apis/" + l.GroupVersion + "/" + r.Name).Do(ctx).Error()
		}
	}
	body, err := kube.APIServerMetrics(env.Client)(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	_, facts, err := etcd.ParseAPIServerMetrics(body)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := kubeversions.Load()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range facts.Deprecated {
		if d.RemovedRelease == "" {
			continue
		}
		checked++
		a, ok := tab.RemovedResource(d.Group, d.Version, d.Resource)
		if !ok || a.RemovedIn != d.RemovedRelease {
			t.Errorf("%s/%s %s: the API server removes it in %s, the table says %q (listed %t)", d.Group, d.Version, d.Resource, d.RemovedRelease, a.RemovedIn, ok)
		}
	}
	if checked < 5 {
		t.Errorf("only %d deprecated APIs with a removal release seen: %+v", checked, facts.Deprecated)
	}
}

func containsSlash(s string) bool {
	for i := range len(s) {
		if s[i] == '/' {
			return true
		}
	}
	return false
}

// sortKeys rewrites name{b="x",a="y"} keys with their labels sorted, as
// samples writes them (no label value here holds `",`).
func sortKeys(in map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range in {
		name, labels, ok := strings.Cut(k, "{")
		if !ok {
			out[k] = v
			continue
		}
		parts := strings.Split(strings.TrimSuffix(strings.TrimSuffix(labels, "}"), `"`), `",`)
		for i := range parts {
			parts[i] += `"`
		}
		sort.Strings(parts)
		out[name+"{"+strings.Join(parts, ",")+"}"] = v
	}
	return out
}
