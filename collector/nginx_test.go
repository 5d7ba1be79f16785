package collector

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kube-reliability/kube-reliability-exporter/ingress"
)

type fakeNginx []ingress.Instance

func (f fakeNginx) Instances() []ingress.Instance { return f }
func (fakeNginx) Ready() error                    { return nil }
func (fakeNginx) Errors() map[string]uint64 {
	return map[string]uint64{ingress.ReasonPermission: 3}
}

type fakePods struct {
	synced bool
	byUID  map[string][2]string
}

func (f fakePods) Pod(uid string) (string, string, bool, bool) {
	p, ok := f.byUID[uid]
	return p[0], p[1], ok, f.synced || ok
}

const nginxHelp = `
# HELP kube_reliability_nginx_instances nginx masters found on the node.
# TYPE kube_reliability_nginx_instances gauge
# HELP kube_reliability_nginx_instances_without_pod nginx instances whose series carry no pod, by why: host (runs on the node itself), pod_not_found (in a pod cgroup no pod of this node has), pending (this node's pods not listed yet), disabled (no RELIABILITY_NODE_NAME or API access).
# TYPE kube_reliability_nginx_instances_without_pod gauge
# HELP kube_reliability_nginx_proc_read_errors_total Failed reads of /proc while sampling nginx processes, by reason: permission (the agent lacks CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH: connections of other users' workers are not counted), malformed, other. Processes vanishing mid-read are normal and not counted.
# TYPE kube_reliability_nginx_proc_read_errors_total counter
# HELP kube_reliability_nginx_reloads_total Reloads of the nginx instance (new worker generations) seen since the agent started; exact for reloads at least two sampling intervals apart.
# TYPE kube_reliability_nginx_reloads_total counter
# HELP kube_reliability_nginx_reload_dropped_connections_total Client connections still open in a shutting-down worker when it exited or was force-closed: the connections reloads dropped; absent once the agent failed to read the instance's sockets.
# TYPE kube_reliability_nginx_reload_dropped_connections_total counter
`

// TestNginxCollectorNamesPods: instances in a pod's cgroup carry its
// namespace and name; the others say why not; instances sharing a label
// set are summed, not exported twice (which would fail the scrape).
func TestNginxCollectorNamesPods(t *testing.T) {
	t.Parallel()
	src := fakeNginx{
		{Listen: "80,443", PodUID: "uid-a", Reloads: 4, LastReload: time.Unix(1764000000, 500e6), ShuttingDown: 2, HeldConnections: 150, Dropped: 800, ConnectionsKnown: true},
		{Listen: "80,443", PodUID: "uid-gone", Reloads: 1, ConnectionsKnown: true},
		{Listen: "8080", Reloads: 2, Dropped: 5, ConnectionsKnown: true},
		{Listen: "8080", Reloads: 3, Dropped: 7, ConnectionsKnown: true},
		// Sockets unreadable: reloads, but no made-up connection counts.
		{Listen: "9090", Reloads: 1},
	}
	s := newSet(t, &nginxSpec, Deps{Nginx: src, NodePods: fakePods{synced: true, byUID: map[string][2]string{"uid-a": {"ingress", "controller-7d9f"}}}})
	want := nginxHelp + `
kube_reliability_nginx_instances 5
kube_reliability_nginx_instances_without_pod{reason="disabled"} 0
kube_reliability_nginx_instances_without_pod{reason="host"} 3
kube_reliability_nginx_instances_without_pod{reason="pending"} 0
kube_reliability_nginx_instances_without_pod{reason="pod_not_found"} 1
kube_reliability_nginx_proc_read_errors_total{reason="malformed"} 0
kube_reliability_nginx_proc_read_errors_total{reason="other"} 0
kube_reliability_nginx_proc_read_errors_total{reason="permission"} 3
kube_reliability_nginx_reloads_total{listen="80,443",namespace="ingress",pod="controller-7d9f"} 4
kube_reliability_nginx_reloads_total{listen="80,443",namespace="",pod=""} 1
kube_reliability_nginx_reloads_total{listen="8080",namespace="",pod=""} 5
kube_reliability_nginx_reloads_total{listen="9090",namespace="",pod=""} 1
kube_reliability_nginx_reload_dropped_connections_total{listen="80,443",namespace="ingress",pod="controller-7d9f"} 800
kube_reliability_nginx_reload_dropped_connections_total{listen="80,443",namespace="",pod=""} 0
kube_reliability_nginx_reload_dropped_connections_total{listen="8080",namespace="",pod=""} 12
`
	names := []string{"kube_reliability_nginx_instances", "kube_reliability_nginx_instances_without_pod", "kube_reliability_nginx_proc_read_errors_total", "kube_reliability_nginx_reloads_total", "kube_reliability_nginx_reload_dropped_connections_total"}
	if err := compareNamed(t, s, want, names...); err != nil {
		t.Error(err)
	}
	if err := compareNamed(t, s, `
# HELP kube_reliability_nginx_last_reload_timestamp_seconds Unix time of the last reload seen; absent before the first.
# TYPE kube_reliability_nginx_last_reload_timestamp_seconds gauge
kube_reliability_nginx_last_reload_timestamp_seconds{listen="80,443",namespace="ingress",pod="controller-7d9f"} 1.7640000005e+09
# HELP kube_reliability_nginx_shutting_down_client_connections Client connections (accepted on the instance's listening addresses) held by workers shutting down after a reload; absent while the agent cannot read the instance's sockets (see kube_reliability_nginx_proc_read_errors_total).
# TYPE kube_reliability_nginx_shutting_down_client_connections gauge
kube_reliability_nginx_shutting_down_client_connections{listen="80,443",namespace="ingress",pod="controller-7d9f"} 150
kube_reliability_nginx_shutting_down_client_connections{listen="80,443",namespace="",pod=""} 0
kube_reliability_nginx_shutting_down_client_connections{listen="8080",namespace="",pod=""} 0
`, "kube_reliability_nginx_last_reload_timestamp_seconds", "kube_reliability_nginx_shutting_down_client_connections"); err != nil {
		t.Error(err)
	}
}

// TestNginxCollectorWithoutLookup: before the node's pods are listed the
// instance is pending; without a lookup at all it is disabled.
func TestNginxCollectorWithoutLookup(t *testing.T) {
	t.Parallel()
	src := fakeNginx{{Listen: "80", PodUID: "uid-a"}}
	for _, tc := range []struct {
		name string
		deps Deps
		want string
	}{
		{"pending", Deps{Nginx: src, NodePods: fakePods{}}, "pending"},
		{"disabled", Deps{Nginx: src}, "disabled"},
	} {
		s := newSet(t, &nginxSpec, tc.deps)
		want := `
# HELP kube_reliability_nginx_instances_without_pod nginx instances whose series carry no pod, by why: host (runs on the node itself), pod_not_found (in a pod cgroup no pod of this node has), pending (this node's pods not listed yet), disabled (no RELIABILITY_NODE_NAME or API access).
# TYPE kube_reliability_nginx_instances_without_pod gauge
`
		for _, r := range []string{"disabled", "host", "pending", "pod_not_found"} {
			n := 0
			if r == tc.want {
				n = 1
			}
			want += fmt.Sprintf("kube_reliability_nginx_instances_without_pod{reason=%q} %d\n", r, n)
		}
		if err := compareNamed(t, s, want, "kube_reliability_nginx_instances_without_pod"); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

type notSampled struct{ fakeNginx }

func (notSampled) Ready() error { return errors.New("nginx processes not sampled yet") }

// Before the first sample of /proc, or when it cannot be scanned, the
// node's nginx are unknown: no "0 instances" (which would hide a real
// pile-up), the collector fails and says so.
func TestNginxCollectorExportsNothingUntilSampled(t *testing.T) {
	t.Parallel()
	s := newSet(t, &nginxSpec, Deps{Nginx: notSampled{}})
	want := `
# HELP kube_reliability_scrape_collector_success 1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.
# TYPE kube_reliability_scrape_collector_success gauge
kube_reliability_scrape_collector_success{collector="nginx"} 0
`
	if err := testutil.CollectAndCompare(withoutDuration{s}, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// compareNamed is testutil.CollectAndCompare restricted to names, which
// also fails when want holds samples of a family not in names: a typo would
// otherwise be filtered out of both sides and pass. (Names without samples
// in want are expected absent.)
func compareNamed(t *testing.T, c prometheus.Collector, want string, names ...string) error {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(want))
	if err != nil {
		return fmt.Errorf("want does not parse: %w", err)
	}
	for name, mf := range fams {
		if len(mf.GetMetric()) > 0 && !slices.Contains(names, name) {
			return fmt.Errorf("want holds %s, which is not compared (a typo?)", name)
		}
	}
	return testutil.CollectAndCompare(c, strings.NewReader(want), names...)
}
