package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func ref(kind, name, uid string) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{Kind: kind, Name: name, UID: types.UID(uid), Controller: &t}}
}

func readyPod(name, node string, owner []metav1.OwnerReference) *cluster.Pod {
	return cluster.PodFrom(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", OwnerReferences: owner},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	})
}

// packedSnapshot: 3 nodes in 2 zones, a Deployment of 3 all on node-1.
func packedSnapshot() *cluster.Snapshot {
	three := int32(3)
	node := func(name, zone string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: zone}}}
	}
	return &cluster.Snapshot{
		Nodes: []*corev1.Node{node("node-1", "a"), node("node-2", "a"), node("node-3", "b")},
		Deployments: []*cluster.Deployment{{
			ObjectMeta: metav1.ObjectMeta{Name: "checkout", Namespace: "shop", UID: "d1"},
			Spec:       cluster.DeploymentSpec{Replicas: &three},
		}},
		ReplicaSets: []*appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Name: "checkout-1", Namespace: "shop", UID: "rs1", OwnerReferences: ref("Deployment", "checkout", "d1")}}},
		Pods: []*cluster.Pod{
			readyPod("a", "node-1", ref("ReplicaSet", "checkout-1", "rs1")),
			readyPod("b", "node-1", ref("ReplicaSet", "checkout-1", "rs1")),
			readyPod("c", "node-1", ref("ReplicaSet", "checkout-1", "rs1")),
		},
	}
}

const packedExposition = `
# HELP kube_reliability_nodes_without_zone Nodes with no zone label; their replicas count for node placement but not for zone placement.
# TYPE kube_reliability_nodes_without_zone gauge
kube_reliability_nodes_without_zone 0
# HELP kube_reliability_scrape_collector_success 1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.
# TYPE kube_reliability_scrape_collector_success gauge
kube_reliability_scrape_collector_success{collector="placement"} 1
# HELP kube_reliability_workload_node_max_ready_replicas Largest number of the workload's ready replicas on a single node: the replicas one node failure takes down.
# TYPE kube_reliability_workload_node_max_ready_replicas gauge
kube_reliability_workload_node_max_ready_replicas{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 3
# HELP kube_reliability_workload_node_skew Ready replicas on the fullest node minus those on the emptiest eligible node (topologySpreadConstraints skew over kubernetes.io/hostname); absent when no node is eligible.
# TYPE kube_reliability_workload_node_skew gauge
kube_reliability_workload_node_skew{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 3
# HELP kube_reliability_workload_replicas_ready Replicas of the workload that are running, Ready and not terminating.
# TYPE kube_reliability_workload_replicas_ready gauge
kube_reliability_workload_replicas_ready{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 3
# HELP kube_reliability_workload_single_node 1 if the workload has at least 2 ready replicas and all of them run on one node, else 0.
# TYPE kube_reliability_workload_single_node gauge
kube_reliability_workload_single_node{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 1
# HELP kube_reliability_workload_single_zone 1 if the workload has at least 2 ready replicas, all in one zone, while at least 2 zones are eligible for it, else 0.
# TYPE kube_reliability_workload_single_zone gauge
kube_reliability_workload_single_zone{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 1
# HELP kube_reliability_workload_spread_policy 1 for each way the pod template spreads its own replicas (required_anti_affinity, preferred_anti_affinity, topology_spread); policy="none" when it uses none. Only the policies in use have a series.
# TYPE kube_reliability_workload_spread_policy gauge
kube_reliability_workload_spread_policy{namespace="shop",owner_kind="Deployment",owner_name="checkout",policy="none"} 1
# HELP kube_reliability_workload_zone_skew Ready replicas in the fullest zone minus those in the emptiest eligible zone (topologySpreadConstraints skew over topology.kubernetes.io/zone); absent when no zone is eligible.
# TYPE kube_reliability_workload_zone_skew gauge
kube_reliability_workload_zone_skew{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 3
# HELP kube_reliability_zone_nodes Nodes labelled with the zone (topology.kubernetes.io/zone).
# TYPE kube_reliability_zone_nodes gauge
kube_reliability_zone_nodes{zone="a"} 2
kube_reliability_zone_nodes{zone="b"} 1
# HELP kube_reliability_zone_schedulable_nodes Nodes in the zone that are not cordoned.
# TYPE kube_reliability_zone_schedulable_nodes gauge
kube_reliability_zone_schedulable_nodes{zone="a"} 2
kube_reliability_zone_schedulable_nodes{zone="b"} 1
# HELP kube_reliability_zones Distinct zones among the cluster's nodes.
# TYPE kube_reliability_zones gauge
kube_reliability_zones 2
`

// The raw counts behind the placement verdicts come from an opt-in
// collector over the same analysis.
func TestPlacementDetail(t *testing.T) {
	t.Parallel()
	s := newSet(t, &placementDetailSpec, Deps{Cluster: cluster.Static{S: packedSnapshot()}})
	want := `
# HELP kube_reliability_scrape_collector_success 1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.
# TYPE kube_reliability_scrape_collector_success gauge
kube_reliability_scrape_collector_success{collector="placement_detail"} 1
# HELP kube_reliability_workload_eligible_nodes Schedulable nodes the workload's nodeSelector and required node affinity allow.
# TYPE kube_reliability_workload_eligible_nodes gauge
kube_reliability_workload_eligible_nodes{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 3
# HELP kube_reliability_workload_eligible_zones Zones holding at least one eligible node for the workload.
# TYPE kube_reliability_workload_eligible_zones gauge
kube_reliability_workload_eligible_zones{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 2
# HELP kube_reliability_workload_replicas_desired Replicas the workload asks for (spec.replicas).
# TYPE kube_reliability_workload_replicas_desired gauge
kube_reliability_workload_replicas_desired{namespace="shop",owner_kind="Deployment",owner_name="checkout"} 3
`
	if err := testutil.CollectAndCompare(withoutDuration{s}, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// withoutDuration drops the scrape duration, the one value no test can fix,
// and the update counts, which depend on how often a test scrapes.
type withoutDuration struct{ s *Set }

func (w withoutDuration) Describe(ch chan<- *prometheus.Desc) { w.s.Describe(ch) }
func (w withoutDuration) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { w.s.Collect(all); close(all) }()
	for m := range all {
		// The update counts are checked by TestSetServesUnchangedOutput.
		if d := m.Desc().String(); !strings.Contains(d, "scrape_collector_duration_seconds") && !strings.Contains(d, "collector_updates_total") {
			ch <- m
		}
	}
}

func newSet(t *testing.T, spec *Spec, deps Deps) *Set {
	t.Helper()
	if deps.Logger == nil {
		deps.Logger = discard()
	}
	s, err := NewSet([]*Spec{spec}, deps, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlacementCollector(t *testing.T) {
	t.Parallel()
	s := newSet(t, &placementSpec, Deps{Cluster: cluster.Static{S: packedSnapshot()}})
	if err := testutil.CollectAndCompare(withoutDuration{s}, strings.NewReader(packedExposition)); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(s)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

type notSynced struct{}

func (notSynced) Snapshot() (*cluster.Snapshot, error) { return nil, cluster.ErrNotSynced }
func (notSynced) Generation() uint64                   { return 0 }

// Unknown is not zero: before the caches sync, the placement collector
// exports no workload series at all, only success 0.
func TestPlacementNotSyncedExportsNothing(t *testing.T) {
	t.Parallel()
	s := newSet(t, &placementSpec, Deps{Cluster: notSynced{}})
	want := `
# HELP kube_reliability_scrape_collector_success 1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.
# TYPE kube_reliability_scrape_collector_success gauge
kube_reliability_scrape_collector_success{collector="placement"} 0
`
	if err := testutil.CollectAndCompare(withoutDuration{s}, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

type stuck struct{ release chan struct{} }

func (s stuck) Update(ctx context.Context, e *Emitter) error {
	e.Gauge("kube_reliability_test_value", 1)
	<-s.release // ignores ctx: the framework must not wait for it forever
	return nil
}

type failing struct{}

func (failing) Update(_ context.Context, e *Emitter) error {
	e.Gauge("kube_reliability_test_value", 1)
	return errors.New("source unreachable")
}

type misdeclared struct{}

func (misdeclared) Update(_ context.Context, e *Emitter) error {
	e.Gauge("kube_reliability_not_declared", 1)
	e.Counter("kube_reliability_test_value", 1)
	e.Gauge("kube_reliability_test_value", 1, "extra-label-value")
	return nil
}

type panicking struct{}

func (panicking) Update(context.Context, *Emitter) error { panic("bug") }

// One broken collector costs one success=0 series and none of its own
// metrics; the healthy collector next to it is exported in full.
func TestSetIsolatesFailures(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	mk := func(name string, c Collector) *Spec {
		// A family belongs to one collector: only misdeclared declares
		// the one all of them emit.
		metric := "kube_reliability_test_value_" + name
		if name == "misdeclared" {
			metric = "kube_reliability_test_value"
		}
		return &Spec{Name: name, Modes: Demo, Metrics: []MetricSpec{{Name: metric, Type: Gauge, Help: "Test.", Bound: "one"}},
			New: func(Deps) (Collector, error) { return c, nil }}
	}
	healthy := &Spec{Name: "healthy", Modes: Demo, Metrics: []MetricSpec{{Name: "kube_reliability_ok", Type: Gauge, Help: "Test.", Bound: "one"}},
		New: func(Deps) (Collector, error) { return okCollector{}, nil }}
	s, err := NewSet([]*Spec{healthy, mk("failing", failing{}), mk("misdeclared", misdeclared{}), mk("panicking", panicking{}), mk("stuck", stuck{release})},
		Deps{Logger: discard()}, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP kube_reliability_ok Test.
# TYPE kube_reliability_ok gauge
kube_reliability_ok 7
# HELP kube_reliability_scrape_collector_success 1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.
# TYPE kube_reliability_scrape_collector_success gauge
kube_reliability_scrape_collector_success{collector="failing"} 0
kube_reliability_scrape_collector_success{collector="healthy"} 1
kube_reliability_scrape_collector_success{collector="misdeclared"} 0
kube_reliability_scrape_collector_success{collector="panicking"} 0
kube_reliability_scrape_collector_success{collector="stuck"} 0
`
	if err := testutil.CollectAndCompare(withoutDuration{s}, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

type okCollector struct{}

func (okCollector) Update(_ context.Context, e *Emitter) error {
	e.Gauge("kube_reliability_ok", 7)
	return nil
}

// Label values are escaped, made valid UTF-8 and capped, never a scrape
// failure; the text parses back to the same values.
func TestEmitterSanitizesLabels(t *testing.T) {
	t.Parallel()
	specs := []MetricSpec{{Name: "kube_reliability_x", Type: Gauge, Help: "X with \\ and\nnewline.", Labels: []string{"name", "a"}}}
	e := newEmitter(specs, nil)
	long := "bad\xffutf8" + strings.Repeat("x", 1000)
	e.Gauge("kube_reliability_x", 1, long, "q\"uo\\te\nd")
	e.Gauge("kube_reliability_x", 2.5e9, "b", "")
	e.Gauge("kube_reliability_x", 1, "too few")
	if e.err == nil || !strings.Contains(e.err.Error(), "1 label values for 2 labels") {
		t.Errorf("wrong label count: err %v", e.err)
	}
	f := e.families["kube_reliability_x"]
	if f.n != 2 {
		t.Fatalf("%d samples, want 2", f.n)
	}
	var buf bytes.Buffer
	if err := writeFamilies(&buf, []*familyText{f}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	mf := fams["kube_reliability_x"]
	if mf.GetHelp() != specs[0].Help || len(mf.Metric) != 2 {
		t.Fatalf("parsed %v", mf)
	}
	labels := map[string]string{}
	for _, l := range mf.Metric[0].Label {
		labels[l.GetName()] = l.GetValue()
	}
	wantName := strings.ToValidUTF8(long, "\uFFFD")[:maxLabelValueBytes]
	if labels["name"] != wantName || labels["a"] != "q\"uo\\te\nd" {
		t.Errorf("labels %q", labels)
	}
	if v := mf.Metric[1].GetGauge().GetValue(); v != 2.5e9 {
		t.Errorf("value %v", v)
	}
	// Labels are written sorted by name, as client_golang writes them.
	if line := strings.Split(text, "\n")[2]; !strings.HasPrefix(line, `kube_reliability_x{a="q\"uo`) {
		t.Errorf("first line %q", line)
	}
}

type countingCollector struct {
	version, runs atomic.Uint64
}

func (c *countingCollector) Version() uint64 { return c.version.Load() }

func (c *countingCollector) Update(_ context.Context, e *Emitter) error {
	n := c.runs.Add(1)
	e.Gauge("kube_reliability_ok", float64(n))
	return nil
}

// A versioned collector runs again only when its version changes; every
// scrape between serves its last output, plain or gzipped (a series of
// gzip members that decodes to the plain text).
func TestSetServesUnchangedOutput(t *testing.T) {
	t.Parallel()
	c := &countingCollector{}
	spec := &Spec{Name: "counting", Metrics: []MetricSpec{{Name: "kube_reliability_ok", Type: Gauge, Help: "OK."}},
		New: func(Deps) (Collector, error) { return c, nil }}
	s, err := NewSet([]*Spec{spec, {Name: "plain", Metrics: []MetricSpec{{Name: "kube_reliability_plain", Type: Gauge, Help: "P."}},
		New: func(Deps) (Collector, error) { return plainCollector{}, nil }}}, Deps{Logger: discard()}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	scrape := func(gzipped bool) string {
		var buf bytes.Buffer
		if err := s.Expose(&buf, gzipped); err != nil {
			t.Fatal(err)
		}
		if !gzipped {
			return buf.String()
		}
		zr, err := gzip.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	first := scrape(false)
	if !strings.Contains(first, "kube_reliability_ok 1\n") || !strings.Contains(first, "kube_reliability_plain 3\n") {
		t.Fatalf("first scrape:\n%s", first)
	}
	if got := scrape(true); withoutDurations(got) != withoutDurations(first) {
		t.Errorf("gzipped scrape differs:\n%s\nwant\n%s", got, first)
	}
	if got := scrape(false); withoutDurations(got) != withoutDurations(first) || c.runs.Load() != 1 {
		t.Errorf("unchanged version: %d runs, scrape\n%s", c.runs.Load(), got)
	}
	c.version.Add(1)
	if got := scrape(true); !strings.Contains(got, "kube_reliability_ok 2\n") || c.runs.Load() != 2 ||
		!strings.Contains(got, `kube_reliability_collector_updates_total{collector="counting"} 2`+"\n") ||
		!strings.Contains(got, `kube_reliability_collector_updates_total{collector="plain"} 4`+"\n") {
		t.Errorf("changed version: %d runs, scrape\n%s", c.runs.Load(), got)
	}
}

type plainCollector struct{}

func (plainCollector) Update(_ context.Context, e *Emitter) error {
	e.Gauge("kube_reliability_plain", 3)
	return nil
}

func TestSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		mode              Mode
		enabled, disabled []string
		want              []string
		err               string
	}{
		{"defaults", Central, nil, nil, []string{"exporter", "placement", "loss", "disruption", "hypotheses", "score", "resources", "owners", "ingress", "gateway", "certificates", "webhooks", "apiservices", "helm", "etcd", "apiserver_storage", "versions", "deprecated_apis", "controller_versions", "health", "health_fetch"}, ""},
		{"disable one", Demo, nil, []string{"placement"}, []string{"exporter", "loss", "disruption", "hypotheses", "score", "resources", "owners", "ingress", "gateway", "certificates", "helm", "etcd", "controller_versions", "etcd_disk", "health", "health_fetch", "nginx"}, ""},
		{"unknown name", Central, []string{"nope"}, nil, nil, `unknown collector "nope"`},
		{"wrong mode", Agent, []string{"placement"}, nil, nil, `does not run in agent mode`},
		{"agent defaults", Agent, nil, nil, []string{"exporter", "etcd_disk", "nginx", "nginx_stub_status"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			specs, err := Select(tt.mode, tt.enabled, tt.disabled)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			var got []string
			for _, s := range specs {
				got = append(got, s.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("selected %v, want %v", got, tt.want)
			}
		})
	}
}

// countingSource counts snapshots taken, to prove scrapes share analyses.
type countingSource struct {
	gen, taken int
}

func (c *countingSource) Snapshot() (*cluster.Snapshot, error) {
	c.taken++
	return packedSnapshot(), nil
}
func (c *countingSource) Generation() uint64 { return uint64(c.gen) }

func TestAnalysisRunsOncePerGeneration(t *testing.T) {
	t.Parallel()
	src := &countingSource{gen: 1}
	s := newSet(t, &placementSpec, Deps{Cluster: src})
	for range 3 {
		testutil.CollectAndCount(s)
	}
	if src.taken != 1 {
		t.Errorf("3 scrapes of an unchanged cluster analyzed %d times, want 1", src.taken)
	}
	src.gen++
	testutil.CollectAndCount(s)
	if src.taken != 2 {
		t.Errorf("after a change: %d analyses, want 2", src.taken)
	}
}

// A rollout changes the cluster between every two scrapes: with a
// minimum interval, analyses run once per interval, scrapes in between
// are served the last result (the gzip cache included), and the first
// scrape after the interval sees the newest cluster.
func TestAnalysisDebouncedWhileClusterChurns(t *testing.T) {
	t.Parallel()
	src := &countingSource{gen: 1}
	now := time.Unix(1700000000, 0)
	s := newSet(t, &placementSpec, Deps{Cluster: src, Now: func() time.Time { return now }, Settings: Settings{AnalysisMinInterval: 10 * time.Second}})
	var buf bytes.Buffer
	for i := range 20 { // a scrape per second, a change per scrape
		src.gen++
		buf.Reset()
		if err := s.Expose(&buf, false); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "kube_reliability_workload_single_node") {
			t.Fatalf("scrape %d served no placement:\n%s", i, buf.String())
		}
		now = now.Add(time.Second)
	}
	// Scrapes at 0s and 10s analyse; the 18 others are served the result.
	if src.taken != 2 {
		t.Errorf("20 scrapes of a churning cluster over 20s analysed %d times, want 2 (one per 10s)", src.taken)
	}
	now = now.Add(10 * time.Second)
	testutil.CollectAndCount(s)
	if src.taken != 3 {
		t.Errorf("after the interval: %d analyses, want 3", src.taken)
	}
}

// BenchmarkScrapeCached measures a scrape that reuses the analysis of an
// unchanged cluster (the common case between two changes) against one that
// must analyze again, on 10,000 pods.
func BenchmarkScrape(b *testing.B) {
	snap := syntheticSnapshot(10_000)
	for _, changed := range []bool{false, true} {
		for _, gzipped := range []bool{false, true} {
			b.Run(fmt.Sprintf("changed=%t/gzip=%t", changed, gzipped), func(b *testing.B) {
				src := &benchSource{s: snap}
				s, err := NewSet([]*Spec{&placementSpec}, Deps{Logger: discard(), Cluster: src}, time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if changed {
						src.gen++
					}
					// What /metrics does for the collectors.
					if err := s.Expose(io.Discard, gzipped); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type benchSource struct {
	s   *cluster.Snapshot
	gen uint64
}

func (b *benchSource) Snapshot() (*cluster.Snapshot, error) { return b.s, nil }
func (b *benchSource) Generation() uint64                   { return b.gen }

// syntheticSnapshot: pods/10 Deployments of 10 replicas on pods/30 nodes.
func syntheticSnapshot(pods int) *cluster.Snapshot {
	s := &cluster.Snapshot{}
	nodes := pods / 30
	for i := range nodes {
		s.Nodes = append(s.Nodes, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i),
			Labels: map[string]string{corev1.LabelTopologyZone: fmt.Sprintf("zone-%d", i%3)}}})
	}
	ten := int32(10)
	for w := range pods / 10 {
		name := fmt.Sprintf("app-%d", w)
		s.Deployments = append(s.Deployments, &cluster.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("d" + name)}, Spec: cluster.DeploymentSpec{Replicas: &ten}})
		s.ReplicaSets = append(s.ReplicaSets, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("rs" + name), OwnerReferences: ref("Deployment", name, "d"+name)}})
		for r := range 10 {
			s.Pods = append(s.Pods, readyPod(fmt.Sprintf("%s-%d", name, r), fmt.Sprintf("node-%d", (w*10+r)*7%nodes), ref("ReplicaSet", name, "rs"+name)))
		}
	}
	return s
}

func withoutDurations(text string) string {
	var keep []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "kube_reliability_scrape_collector_duration_seconds{") && !strings.HasPrefix(l, "kube_reliability_collector_updates_total{") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

type switchable struct{ down *atomic.Bool }

func (c switchable) Update(_ context.Context, e *Emitter) error {
	if c.down.Load() {
		return errors.New("source unreachable")
	}
	e.Gauge("kube_reliability_test_value", 1)
	return nil
}

// A collector failing on every scrape (its source down for the length of
// an outage) is logged when it starts failing and when it recovers, not
// once per scrape.
func TestSetLogsAFailingCollectorOncePerOutage(t *testing.T) {
	var log bytes.Buffer
	down := new(atomic.Bool)
	spec := &Spec{Name: "flaky", Modes: Demo, Metrics: []MetricSpec{{Name: "kube_reliability_test_value", Type: Gauge, Help: "Test.", Bound: "one"}},
		New: func(Deps) (Collector, error) { return switchable{down}, nil }}
	s, err := NewSet([]*Spec{spec}, Deps{Logger: slog.New(slog.NewTextHandler(&log, nil))}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	scrape := func() { testutil.CollectAndCount(s) }
	scrape()
	down.Store(true)
	for range 100 {
		scrape()
	}
	down.Store(false)
	scrape()
	if n := strings.Count(log.String(), `msg="collector failed"`); n != 1 {
		t.Errorf("%d lines for 100 failed scrapes in a row, want 1:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), `msg="collector succeeds again" collector=flaky failures_unlogged=99`) {
		t.Errorf("recovery not logged with the 99 failures left out:\n%s", log.String())
	}
}

// TestAgentSpecs: the agent-only build's collectors (agentSpecs) are
// exactly agent mode's in All, in All's order.
func TestAgentSpecs(t *testing.T) {
	var want []string
	for _, s := range All {
		if s.Modes&Agent != 0 {
			want = append(want, s.Name)
		}
	}
	var got []string
	for _, s := range agentSpecs {
		got = append(got, s.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("agentSpecs = %v, want agent mode's collectors of All: %v", got, want)
	}
}

// sizedCollector emits n series with long label values.
type sizedCollector struct{ n int }

func (c sizedCollector) Update(_ context.Context, e *Emitter) error {
	for i := range c.n {
		e.Gauge("kube_reliability_sized", float64(i), fmt.Sprintf("%0100d", i))
	}
	return nil
}

// Scrape compresses only what is worth it: a small exposition is served
// plain to a client that accepts gzip (no compressor state per scrape on
// every node), a large one gzipped; a client that does not accept gzip
// gets plain text either way.
func TestScrapeGzipsOnlyLargeExpositions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		series     int
		accept     bool
		wantGzip   bool
		wantSeries int
	}{
		{series: 10, accept: true, wantGzip: false},
		{series: 5000, accept: true, wantGzip: true}, // ~650 kB of text
		{series: 5000, accept: false, wantGzip: false},
	} {
		spec := &Spec{Name: "sized", Metrics: []MetricSpec{{Name: "kube_reliability_sized", Type: Gauge, Help: "S.", Labels: []string{"name"}}},
			New: func(Deps) (Collector, error) { return sizedCollector{tc.series}, nil }}
		s, err := NewSet([]*Spec{spec}, Deps{Logger: discard()}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		var chose []bool
		if err := s.Scrape(&buf, tc.accept, func(gz bool) error { chose = append(chose, gz); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(chose) != 1 || chose[0] != tc.wantGzip {
			t.Errorf("%d series, accept gzip %t: begin called with %v, want [%t]", tc.series, tc.accept, chose, tc.wantGzip)
			continue
		}
		var text []byte = buf.Bytes()
		if tc.wantGzip {
			zr, err := gzip.NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if text, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if got := bytes.Count(text, []byte("\nkube_reliability_sized{")); got != tc.series {
			t.Errorf("%d series, accept gzip %t: %d series in the exposition", tc.series, tc.accept, got)
		}
	}
}

// AfterCollect runs once per scrape, after every collector is done
// (central returns the memory its analyses freed there).
func TestAfterCollectRunsOncePerScrapeAfterCollectors(t *testing.T) {
	t.Parallel()
	var updates, after atomic.Int32
	var seen []int32
	spec := &Spec{Name: "counted", Modes: Demo, Metrics: []MetricSpec{{Name: "kube_reliability_ok", Type: Gauge, Help: "Test.", Bound: "one"}},
		New: func(Deps) (Collector, error) { return tallyCollector{&updates}, nil }}
	s, err := NewSet([]*Spec{spec}, Deps{Logger: discard(), AfterCollect: func() {
		after.Add(1)
		seen = append(seen, updates.Load())
	}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.Expose(io.Discard, false); err != nil {
			t.Fatal(err)
		}
	}
	if after.Load() != 3 || !slices.Equal(seen, []int32{1, 2, 3}) {
		t.Errorf("AfterCollect ran %d times, seeing %v updates done; want 3, after 1, 2 and 3", after.Load(), seen)
	}
}

type tallyCollector struct{ n *atomic.Int32 }

func (c tallyCollector) Update(_ context.Context, e *Emitter) error {
	c.n.Add(1)
	e.Gauge("kube_reliability_ok", 1)
	return nil
}

// A collector's text of minGzipBytes or more is compressed as soon as it
// is made, whatever the scrape asked for: only its gzip member is held,
// and a plain scrape still gets every series.
func TestLargeOutputHeldCompressed(t *testing.T) {
	t.Parallel()
	specs := []*Spec{
		{Name: "large", Metrics: []MetricSpec{{Name: "kube_reliability_sized", Type: Gauge, Help: "S.", Labels: []string{"name"}}},
			New: func(Deps) (Collector, error) { return sizedCollector{5000}, nil }}, // ~650 kB of text
		{Name: "small", Metrics: []MetricSpec{{Name: "kube_reliability_ok", Type: Gauge, Help: "Test.", Bound: "one"}},
			New: func(Deps) (Collector, error) { return okCollector{}, nil }},
	}
	s, err := NewSet(specs, Deps{Logger: discard()}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Expose(&buf, false); err != nil {
		t.Fatal(err)
	}
	large, small := s.outputs[0], s.outputs[1]
	if large.families != nil || len(large.gz) == 0 {
		t.Errorf("large output: %d families of text kept, %d bytes of gzip; want none, and gzip", len(large.families), len(large.gz))
	}
	if small.gz != nil || len(small.families) != 1 {
		t.Errorf("small output: %d bytes of gzip, %d families; want its text only", len(small.gz), len(small.families))
	}
	text := buf.String()
	if got := strings.Count(text, "\nkube_reliability_sized{"); got != 5000 {
		t.Errorf("plain exposition has %d of 5000 series", got)
	}
	if !strings.Contains(text, "\nkube_reliability_ok 7\n") {
		t.Error("plain exposition lacks the small collector's sample")
	}
}

// A scrape waits at most ScrapeWait for collectors catching up with a
// change once each has an output, and is then served their last output;
// the run goes on and the next scrape gets what it made. Scrapes during
// one run share it.
func TestScrapeWaitServesLastOutputWhileARunGoesOn(t *testing.T) {
	t.Parallel()
	c := &gatedCollector{release: make(chan struct{})}
	c.version.Store(1)
	c.value.Store(1)
	spec := &Spec{Name: "gated", Metrics: []MetricSpec{{Name: "kube_reliability_gated", Type: Gauge, Help: "Test.", Bound: "one"}},
		New: func(Deps) (Collector, error) { return c, nil }}
	s, err := NewSet([]*Spec{spec}, Deps{Logger: discard(), Settings: Settings{ScrapeWait: 50 * time.Millisecond}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	scrape := func() string {
		var buf bytes.Buffer
		if err := s.Scrape(&buf, false, func(bool) error { return nil }); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	close(c.release) // the first run has nothing to serve meanwhile: it is waited for
	if got := scrape(); !strings.Contains(got, "kube_reliability_gated 1\n") {
		t.Fatalf("first scrape:\n%s", got)
	}
	c.release = make(chan struct{})
	c.version.Store(2)
	c.value.Store(2)
	start := time.Now()
	for range 3 {
		if got := scrape(); !strings.Contains(got, "kube_reliability_gated 1\n") {
			t.Fatalf("scrape during the run: want the last output, got\n%s", got)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("3 scrapes during a run that does not end took %s", d)
	}
	close(c.release)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(), "kube_reliability_gated 2\n") {
		if time.Now().After(deadline) {
			t.Fatal("the run's output never served")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := c.updates.Load(); n != 2 {
		t.Errorf("Update ran %d times, want 2: the scrapes during the run shared it", n)
	}
}

type gatedCollector struct {
	version, value, updates atomic.Int64
	release                 chan struct{}
}

func (c *gatedCollector) Version() uint64 { return uint64(c.version.Load()) }

func (c *gatedCollector) Update(ctx context.Context, e *Emitter) error {
	c.updates.Add(1)
	v := c.value.Load()
	select {
	case <-c.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.Gauge("kube_reliability_gated", float64(v))
	return nil
}
