package collector

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
	"github.com/kube-reliability/kube-reliability-exporter/internal/golden"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthresp"
	"github.com/kube-reliability/kube-reliability-exporter/internal/helmhistory"
	"github.com/kube-reliability/kube-reliability-exporter/internal/host"
	"github.com/kube-reliability/kube-reliability-exporter/internal/manifest"
	"github.com/kube-reliability/kube-reliability-exporter/internal/targets"
)

// goldenNow is the clock of every golden exposition.
var goldenNow = time.Unix(1764000000, 0)

type fakeStatus []ResourceStatus

func (f fakeStatus) Status() []ResourceStatus { return f }

type fakeHelm []helmhistory.Storage

func (f fakeHelm) Storages() []helmhistory.Storage { return f }

type fakeGateway gateway.Objects

func (f fakeGateway) Objects() (gateway.Objects, error) { return gateway.Objects(f), nil }

type fakeStorage []etcd.StorageSize

func (f fakeStorage) Latest() ([]etcd.StorageSize, error) { return f, nil }

// Facts: a 1.37 API server whose clients still list DRA's v1beta1,
// which 1.38 removes.
func (f fakeStorage) Facts() (etcd.APIServerFacts, error) {
	return etcd.APIServerFacts{Deprecated: []etcd.DeprecatedAPI{
		{Group: "resource.k8s.io", Version: "v1beta1", Resource: "resourceclaims", RemovedRelease: "1.38"},
		{Version: "v1", Resource: "endpoints"},
	}}, nil
}

type fakeDisk struct{}

func (fakeDisk) DeviceFor(string) (host.Device, error) {
	return host.Device{Major: 259, Minor: 1, Name: "nvme0n1p1"}, nil
}
func (fakeDisk) Stats(host.Device) (host.DiskStats, error) {
	return host.DiskStats{Major: 259, Minor: 1, Name: "nvme0n1p1", ReadsCompleted: 1200, SectorsRead: 96000,
		WritesCompleted: 54000, SectorsWritten: 4320000, IOTimeMs: 812000, WeightedIOTimeMs: 2436000}, nil
}

// goldenDeps feeds every collector: the demo's example cluster (the same
// manifests demo serves) and fixed fakes for the background sources, on a
// fixed clock.
func goldenDeps(t *testing.T) Deps {
	t.Helper()
	dec := manifest.DecodePaths([]string{"../internal/demo/snapshot/cluster.json"})
	if len(dec.Errors) > 0 {
		t.Fatal(dec.Errors)
	}
	snap := manifest.Snapshot(dec.Objects)
	issues, err := etcd.KnownIssues()
	if err != nil {
		t.Fatal(err)
	}
	// health: one endpoint read an hour ago, failing since; the others
	// not read yet.
	var health fakeHealth = map[healthcheck.Endpoint]healthcheck.Fetched{}
	for _, ep := range healthcheck.Endpoints(snap) {
		if ep.Key.Name == "api" && ep.Probe == healthcheck.Readiness {
			health[ep] = healthcheck.Fetched{Err: "timeout", Known: true, ReadAt: goldenNow.Add(-time.Hour),
				Response: healthresp.Response{Format: healthresp.FormatSpringBoot, Components: []healthresp.Component{{Name: "inventory"}}}}
		}
	}
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "Active connections: 291 \nserver accepts handled requests\n 16630948 16630946 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n")
	}))
	t.Cleanup(stub.Close)
	ts, err := targets.Parse("stub_status URL", []string{"edge=" + stub.URL + "/nginx_status"})
	if err != nil {
		t.Fatal(err)
	}
	return Deps{
		Logger: discard(), Now: func() time.Time { return goldenNow },
		Cluster: cluster.Static{S: snap},
		Status: fakeStatus{
			{Source: "kubernetes", Resource: "pods", Synced: true, Errors: 2, LastSuccess: goldenNow.Add(-time.Minute)},
			{Source: "kubernetes", Resource: "secrets:helm", Synced: false, Errors: 5},
		},
		Helm: fakeHelm{
			{Name: helmhistory.StorageSecret, Available: true, Objects: []*metav1.ObjectMeta{
				{Namespace: "shop", Name: "sh.helm.release.v1.shop.v1", Labels: map[string]string{"owner": "helm", "name": "shop", "version": "1"}},
				{Namespace: "shop", Name: "sh.helm.release.v1.shop.v2", Labels: map[string]string{"owner": "helm", "name": "shop", "version": "2"}},
			}},
			{Name: helmhistory.StorageConfigMap, Available: true},
			{Name: helmhistory.StorageTiller, Available: false},
		},
		Gateway: fakeGateway{Classes: map[string]string{"nginx-gateway": "gateway.nginx.org/nginx-gateway-controller"},
			GatewayClassOf: []string{"nginx-gateway", "missing"}, HTTPRoutes: 2},
		Etcd: fakeEtcd{polled: true, st: []etcd.MemberStatus{
			{Member: etcd.Member{Name: "etcd-0"}, Up: true, Version: "3.5.21", ID: 1, ClusterID: 9, Leader: 1, DBSize: 1 << 30, DBSizeInUse: 1 << 29,
				QuotaBytes: 8 << 30, Alarms: map[string]bool{}, AlarmsKnown: true, CertNotAfter: goldenNow.Add(30 * 24 * time.Hour)},
			{Member: etcd.Member{Name: "etcd-1"}, Up: false, Reason: "tls"},
		}},
		Storage:          fakeStorage{{Cluster: "etcd-0", Bytes: 1 << 30}},
		APIServerVersion: func(context.Context) (string, error) { return "v1.37.2", nil },
		Disk:             fakeDisk{},
		Health:           health,
		Nginx: fakeNginx{
			{Listen: "80,443", PodUID: "uid-a", Reloads: 4, LastReload: goldenNow.Add(-time.Minute), ShuttingDown: 1, HeldConnections: 150, Dropped: 800, ConnectionsKnown: true},
			{Listen: "8080", Reloads: 1},
		},
		NodePods:   fakePods{synced: true, byUID: map[string][2]string{"uid-a": {"ingress", "controller-7d9f"}}},
		StubStatus: ts,
		Settings:   Settings{OwnerLabels: []string{"team", "owner"}, EtcdJudgement: EtcdJudgement{Issues: issues, Minimum: etcd.DefaultMinimum()}, EtcdDataDir: "/var/lib/etcd", HealthConfig: healthcheck.Config{LivenessRoutes: []string{"/health"}, ReadinessRoutes: []string{"/ping"}}, StubStatusTimeout: 2 * time.Second},
	}
}

// Every collector's whole exposition (the scrape durations aside, which
// depend on the machine), compared exactly with its golden file under
// testdata/exposition, and linted with no problem. A typo in a name, a
// label or a value fails; go test ./collector -run TestEveryCollectorExposition -update
// rewrites the files for review.
func TestEveryCollectorExposition(t *testing.T) {
	deps := goldenDeps(t)
	for _, spec := range All {
		t.Run(spec.Name, func(t *testing.T) {
			s := newSet(t, spec, deps)
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(withoutDuration{s})
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			for _, mf := range mfs {
				if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
					t.Fatal(err)
				}
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", "exposition", spec.Name+".prom")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			golden.Check(t, path, got, *update, "go test ./collector -run TestEveryCollectorExposition -update")
			if problems, err := testutil.CollectAndLint(withoutDuration{s}); err != nil || len(problems) > 0 {
				t.Errorf("lint: %v %v", err, problems)
			}
		})
	}
}
