package scale

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/golden"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// Result is one size's measurements, as written to bench/scale/<pods>.json.
type Result struct {
	Shape   shape     `json:"shape"`
	Date    time.Time `json:"date"`
	Commit  string    `json:"commit"`
	Machine string    `json:"machine"`

	FillSeconds  float64 `json:"fill_seconds"`
	ReadySeconds float64 `json:"ready_seconds"`
	// Memory in bytes, from /proc/<pid>/status: VmHWM (peak RSS) when
	// ready, VmRSS when ready, after 5 scrapes and at the end of the soak.
	PeakRSSAtReady uint64 `json:"peak_rss_at_ready_bytes"`
	RSSAtReady     uint64 `json:"rss_at_ready_bytes"`
	RSSAfter5      uint64 `json:"rss_after_5_scrapes_bytes"`
	PeakRSSAfter5  uint64 `json:"peak_rss_after_5_scrapes_bytes"`
	RSSAfterSoak   uint64 `json:"rss_after_soak_bytes"`
	PeakRSSEnd     uint64 `json:"peak_rss_end_bytes"`
	// Peak RSS of each phase after start-up (VmHWM reset as it begins):
	// the first 5 scrapes, churn, and the soak. Zero: not measured.
	PeakRSSFirstScrapes uint64  `json:"peak_rss_first_scrapes_bytes,omitempty"`
	PeakRSSChurn        uint64  `json:"peak_rss_churn_bytes,omitempty"`
	PeakRSSRollout      uint64  `json:"peak_rss_rollout_bytes,omitempty"`
	PeakRSSSoak         uint64  `json:"peak_rss_soak_bytes,omitempty"`
	SoakSeconds         float64 `json:"soak_seconds"`
	HeapInuseAfter5     float64 `json:"heap_inuse_after_5_scrapes_bytes"`
	HeapInuseEnd        float64 `json:"heap_inuse_end_bytes"`
	// MemoryAfterSoak is where the RSS after the soak is: anonymous and
	// file-backed (the binary) pages from /proc/<pid>/status, and the Go
	// runtime's own classes (go_memstats_*_bytes: heap idle but not yet
	// released, stacks, GC metadata...).
	MemoryAfterSoak map[string]float64 `json:"memory_after_soak,omitempty"`

	Scrapes       []Scrape `json:"scrapes"`
	Series        int      `json:"series"`
	MetricsBytes  int      `json:"metrics_bytes"`
	GzipBytes     int      `json:"metrics_gzip_bytes"`
	IdleCPUPerMin float64  `json:"idle_cpu_seconds_per_minute"`
	// Churn: pods created (ready) and deleted through the API server at a
	// steady rate while Prometheus scrapes every 15 s.
	ChurnPodsPerSecond float64            `json:"churn_pods_per_second"`
	ChurnCPUPerMin     float64            `json:"churn_cpu_seconds_per_minute"`
	ChurnScrapeMax     float64            `json:"churn_scrape_seconds_max"`
	ChurnCollectorMax  map[string]float64 `json:"churn_collector_seconds_max"`
	// Analyses counts the placement collector's updates during churn.
	Analyses float64 `json:"placement_analyses_during_churn"`
	// Rollout: Deployments rolled out as their controller would (a new
	// ReplicaSet, its ready pods replacing the old ones) through the API
	// server, a few at a time, while Prometheus scrapes every 15 s. Zero:
	// not measured.
	RolloutDeployments int     `json:"rollout_deployments,omitempty"`
	RolloutSeconds     float64 `json:"rollout_seconds,omitempty"`
	RolloutCPUPerMin   float64 `json:"rollout_cpu_seconds_per_minute,omitempty"`
	RolloutScrapeMax   float64 `json:"rollout_scrape_seconds_max,omitempty"`

	// Alerts: what the shipped rules fire on the cluster (nil: not
	// measured, before issue 25).
	Alerts *AlertCounts `json:"alerts,omitempty"`
}

// Scrape is one GET /metrics as Prometheus makes it (gzip accepted).
type Scrape struct {
	Seconds float64 `json:"seconds"`
	// AllocBytes is go_memstats_alloc_bytes_total's growth since the
	// previous scrape: the scrape's allocations plus background work.
	AllocBytes float64 `json:"alloc_bytes"`
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func duration(b *testing.B, name, def string) time.Duration {
	d, err := time.ParseDuration(env(name, def))
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return d
}

// BenchmarkScale runs once per size in KRE_SCALE_PODS (default
// 1000,10000,50000,150000) whatever b.N is: each size is minutes of work.
func BenchmarkScale(b *testing.B) {
	var sizes []int
	for _, s := range strings.Split(env("KRE_SCALE_PODS", "1000,10000,50000,150000"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 10 {
			b.Fatalf("KRE_SCALE_PODS: %q is not a pod count", s)
		}
		sizes = append(sizes, n)
	}
	bin := buildCentral(b)
	for _, pods := range sizes {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			r := runSize(b, bin, shapeFor(pods))
			writeResult(b, r)
			b.ReportMetric(r.ReadySeconds, "ready-s")
			b.ReportMetric(float64(r.RSSAfterSoak)/(1<<20), "rss-MiB")
			b.ReportMetric(float64(r.Series), "series")
		})
	}
}

func repoRoot(b testing.TB) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	return root
}

func buildCentral(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "kube-reliability-exporter")
	// The binary the central image runs (Dockerfile): without demo mode.
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "nodemo", "-o", bin, "./cmd/kube-reliability-exporter")
	cmd.Dir = repoRoot(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func runSize(b *testing.B, bin string, s shape) Result {
	r := Result{Shape: s, Date: time.Now().UTC(), Commit: commit(b), Machine: machine()}
	etcd := testenv.StartEtcd(b, 8<<30)
	start := time.Now()
	fill(b, etcd.ClientURL, s)
	r.FillSeconds = time.Since(start).Seconds()
	api := testenv.StartOn(b, etcd)
	b.Logf("scale: %d pods written in %.1fs; API server ready in %.1fs", s.Pods, r.FillSeconds, api.StartupTime.Seconds())

	c := startCentral(b, bin, api.Kubeconfig())
	start = c.started
	if err := c.waitReady(10 * time.Minute); err != nil {
		b.Fatalf("central not ready: %v\n%s", err, c.logTail())
	}
	r.ReadySeconds = time.Since(start).Seconds()
	r.PeakRSSAtReady, r.RSSAtReady = c.memory(b)
	b.Logf("scale: central ready in %.1fs, RSS %d MiB, peak %d MiB", r.ReadySeconds, r.RSSAtReady>>20, r.PeakRSSAtReady>>20)

	interval := duration(b, "KRE_SCALE_SCRAPE_INTERVAL", "15s")
	profileDir := os.Getenv("KRE_SCALE_PROFILE_DIR")
	if profileDir != "" {
		if err := os.MkdirAll(profileDir, 0o755); err != nil {
			b.Fatal(err)
		}
		// The first analyses, where the start-up peak and the first
		// scrape's cost come from.
		go c.saveProfile(b, "profile?seconds=30", filepath.Join(profileDir, fmt.Sprintf("cpu-first-%d.pb.gz", s.Pods)))
	}
	c.resetPeak(b)
	prevAlloc := c.scrape(b, &r, true).alloc
	for i := range 5 {
		if i > 0 {
			time.Sleep(interval)
		}
		s := c.scrape(b, &r, i == 4)
		r.Scrapes = append(r.Scrapes, Scrape{Seconds: s.seconds, AllocBytes: s.alloc - prevAlloc})
		prevAlloc = s.alloc
		if i == 4 {
			r.HeapInuseAfter5 = s.heapInuse
		}
	}
	r.PeakRSSAfter5, r.RSSAfter5 = c.memory(b)
	r.PeakRSSFirstScrapes = r.PeakRSSAfter5
	if profileDir != "" {
		// What is live once the first analyses are done, against the end.
		c.saveProfile(b, "heap?gc=1", filepath.Join(profileDir, fmt.Sprintf("heap-first-%d.pb.gz", s.Pods)))
	}

	// Idle: Prometheus scrapes every 30 s, nothing changes.
	idle := duration(b, "KRE_SCALE_IDLE", "2m")
	if profileDir != "" && idle >= 30*time.Second {
		// What central does while nothing changes, sampled for 30 s.
		go c.saveProfile(b, "profile?seconds=30", filepath.Join(profileDir, fmt.Sprintf("cpu-idle-%d.pb.gz", s.Pods)))
	}
	cpu0 := c.cpuSeconds(b)
	for end := time.Now().Add(idle); time.Now().Before(end); {
		time.Sleep(min(30*time.Second, time.Until(end)))
		c.scrape(b, &r, false)
	}
	if idle > 0 {
		r.IdleCPUPerMin = (c.cpuSeconds(b) - cpu0) / idle.Minutes()
	}

	churnFor := duration(b, "KRE_SCALE_CHURN", "1m")
	if profileDir != "" && churnFor >= 30*time.Second {
		go c.saveProfile(b, "profile?seconds=30", filepath.Join(profileDir, fmt.Sprintf("cpu-churn-%d.pb.gz", s.Pods)))
	}
	c.resetPeak(b)
	churn(b, api, c, &r, churnFor)
	r.PeakRSSChurn, _ = c.memory(b)

	rolloutN := 1000
	if v, err := strconv.Atoi(env("KRE_SCALE_ROLLOUT", "1000")); err == nil && v >= 0 {
		rolloutN = v
	}
	c.resetPeak(b)
	rollout(b, api, c, &r, min(rolloutN, s.Deployments))
	if r.RolloutDeployments > 0 {
		r.PeakRSSRollout, _ = c.memory(b)
	}

	soak := duration(b, "KRE_SCALE_SOAK", "10m")
	r.SoakSeconds = soak.Seconds()
	c.resetPeak(b)
	var last scraped
	for end := time.Now().Add(soak); time.Now().Before(end); {
		time.Sleep(min(30*time.Second, time.Until(end)))
		last = c.scrape(b, &r, false)
	}
	if soak == 0 {
		last = c.scrape(b, &r, false)
	}
	r.HeapInuseEnd = last.heapInuse
	r.PeakRSSSoak, r.RSSAfterSoak = c.memory(b)
	r.MemoryAfterSoak = c.memoryClasses(b)
	r.PeakRSSEnd = max(r.PeakRSSAtReady, r.PeakRSSFirstScrapes, r.PeakRSSChurn, r.PeakRSSRollout, r.PeakRSSSoak)
	// Last, as it adds Prometheus' scrapes to central's load.
	r.Alerts = measureAlerts(b, c)
	if profileDir != "" {
		c.saveProfile(b, "heap?gc=1", filepath.Join(profileDir, fmt.Sprintf("heap-%d.pb.gz", s.Pods)))
	}
	b.Logf("scale: %+v", r)
	return r
}

// churn creates ready pods in existing ReplicaSets and deletes them again,
// through the API server, for d at pods/s each way, scraping every 15 s.
func churn(b *testing.B, api *testenv.Env, c *central, r *Result, d time.Duration) {
	if d == 0 {
		return
	}
	rate := 10.0
	if v, err := strconv.ParseFloat(env("KRE_SCALE_CHURN_RATE", "10"), 64); err == nil && v > 0 {
		rate = v
	}
	r.ChurnPodsPerSecond = rate
	r.ChurnCollectorMax = map[string]float64{}
	ctx := context.Background()
	ns := nsName(0)
	rsl, err := api.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{Limit: 50})
	if err != nil || len(rsl.Items) == 0 {
		b.Fatalf("churn: list replicasets: %v", err)
	}
	analyses0 := c.updates()
	cpu0 := c.cpuSeconds(b)
	var created []string
	var failures atomic.Int64
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	nextScrape := time.Now().Add(15 * time.Second)
	for i, end := 0, time.Now().Add(d); time.Now().Before(end); i++ {
		<-tick.C
		rs := &rsl.Items[i%len(rsl.Items)]
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-churn-%d", rs.Name, i), Namespace: ns, Labels: rs.Spec.Template.Labels,
				OwnerReferences: controllerRef("ReplicaSet", "apps/v1", &rs.ObjectMeta)},
			Spec: *rs.Spec.Template.Spec.DeepCopy(),
		}
		p.Spec.NodeName = nodeName(i % r.Shape.Nodes)
		p, err := api.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			failures.Add(1)
			continue
		}
		now := metav1.Now()
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &now, PodIP: loopbackIP(2_000_000 + i),
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}}
		if _, err := api.Client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			failures.Add(1)
		}
		created = append(created, p.Name)
		if len(created) > 20 {
			zero := int64(0)
			if err := api.Client.CoreV1().Pods(ns).Delete(ctx, created[0], metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
				failures.Add(1)
			}
			created = created[1:]
		}
		if time.Now().After(nextScrape) {
			s := c.scrape(b, r, false)
			r.ChurnScrapeMax = max(r.ChurnScrapeMax, s.seconds)
			for k, v := range s.collectors {
				r.ChurnCollectorMax[k] = max(r.ChurnCollectorMax[k], v)
			}
			nextScrape = time.Now().Add(15 * time.Second)
		}
	}
	r.ChurnCPUPerMin = (c.cpuSeconds(b) - cpu0) / d.Minutes()
	r.Analyses = c.updates() - analyses0
	if n := failures.Load(); n > 0 {
		b.Fatalf("churn: %d API calls failed", n)
	}
}

// rolloutParallel is how many Deployments roll out at once, as a
// controller-manager's Deployment workers would.
const rolloutParallel = 5

// rollout rolls n Deployments out as their controller would, through the
// API server: each gets a new template (an annotation; revision 2), a new
// ReplicaSet with its replicas, a ready pod of it on each node an old pod
// ran on (the old one deleted as soon as its replacement is ready) and its
// old ReplicaSets scaled to 0. A scrape every 15 s, as Prometheus.
func rollout(b *testing.B, api *testenv.Env, c *central, r *Result, n int) {
	if n == 0 {
		return
	}
	ctx := context.Background()
	var deps []*appsv1.Deployment
	owned := map[types.UID][]*appsv1.ReplicaSet{}
	pods := map[types.UID][]*corev1.Pod{}
	for ns := 0; len(deps) < n && ns < r.Shape.Namespaces; ns++ {
		name := nsName(ns)
		dl, err := api.Client.AppsV1().Deployments(name).List(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatalf("rollout: list deployments: %v", err)
		}
		rsl, err := api.Client.AppsV1().ReplicaSets(name).List(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatalf("rollout: list replicasets: %v", err)
		}
		pl, err := api.Client.CoreV1().Pods(name).List(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatalf("rollout: list pods: %v", err)
		}
		for i := range rsl.Items {
			if ref := metav1.GetControllerOf(&rsl.Items[i]); ref != nil {
				owned[ref.UID] = append(owned[ref.UID], &rsl.Items[i])
			}
		}
		for i := range pl.Items {
			if ref := metav1.GetControllerOf(&pl.Items[i]); ref != nil {
				pods[ref.UID] = append(pods[ref.UID], &pl.Items[i])
			}
		}
		for i := range dl.Items[:min(len(dl.Items), n-len(deps))] {
			deps = append(deps, &dl.Items[i])
		}
	}
	var ips atomic.Int64
	ips.Store(3_000_000)
	roll := func(d *appsv1.Deployment) error {
		d.Spec.Template.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": "rollout"}
		d.Annotations["deployment.kubernetes.io/revision"] = "2"
		d, err := api.Client.AppsV1().Deployments(d.Namespace).Update(ctx, d, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update deployment: %w", err)
		}
		labels := maps.Clone(d.Spec.Template.Labels)
		labels["pod-template-hash"] = "r2"
		tmpl := d.Spec.Template.DeepCopy()
		tmpl.Labels = labels
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-r2", Namespace: d.Namespace, Labels: labels,
				Annotations: map[string]string{"deployment.kubernetes.io/revision": "2"}, OwnerReferences: controllerRef("Deployment", "apps/v1", &d.ObjectMeta)},
			Spec: appsv1.ReplicaSetSpec{Replicas: d.Spec.Replicas, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: *tmpl},
		}
		if rs, err = api.Client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create replicaset: %w", err)
		}
		zero := int64(0)
		for _, old := range owned[d.UID] {
			for i, op := range pods[old.UID] {
				p := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, i), Namespace: d.Namespace, Labels: labels,
						OwnerReferences: controllerRef("ReplicaSet", "apps/v1", &rs.ObjectMeta)},
					Spec: *tmpl.Spec.DeepCopy(),
				}
				p.Spec.NodeName = op.Spec.NodeName
				if p, err = api.Client.CoreV1().Pods(d.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
					return fmt.Errorf("create pod: %w", err)
				}
				now := metav1.Now()
				p.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &now, PodIP: loopbackIP(int(ips.Add(1))),
					Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}}
				if _, err := api.Client.CoreV1().Pods(d.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
					return fmt.Errorf("pod status: %w", err)
				}
				if err := api.Client.CoreV1().Pods(d.Namespace).Delete(ctx, op.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
					return fmt.Errorf("delete old pod: %w", err)
				}
			}
			none := int32(0)
			old.Spec.Replicas = &none
			if _, err := api.Client.AppsV1().ReplicaSets(d.Namespace).Update(ctx, old, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("scale old replicaset: %w", err)
			}
		}
		return nil
	}

	cpu0, start := c.cpuSeconds(b), time.Now()
	work := make(chan *appsv1.Deployment)
	errs := make(chan error, len(deps))
	var wg sync.WaitGroup
	for range rolloutParallel {
		wg.Go(func() {
			for d := range work {
				if err := roll(d); err != nil {
					errs <- fmt.Errorf("%s/%s: %w", d.Namespace, d.Name, err)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, d := range deps {
			work <- d
		}
		close(work)
		wg.Wait()
	}()
	for rolling := true; rolling; {
		select {
		case <-done:
			rolling = false
		case <-time.After(15 * time.Second):
			s := c.scrape(b, r, false)
			r.RolloutScrapeMax = max(r.RolloutScrapeMax, s.seconds)
		}
	}
	// The scrape after: the rolled-out cluster's analyses.
	last := c.scrape(b, r, false)
	r.RolloutScrapeMax = max(r.RolloutScrapeMax, last.seconds)
	took := time.Since(start)
	r.RolloutDeployments, r.RolloutSeconds = len(deps), took.Seconds()
	r.RolloutCPUPerMin = (c.cpuSeconds(b) - cpu0) / took.Minutes()
	close(errs)
	for err := range errs {
		b.Errorf("rollout: %v", err)
	}
	if b.Failed() {
		b.FailNow()
	}
}

type central struct {
	cmd     *exec.Cmd
	addr    string
	log     string
	started time.Time
	last    map[string]float64
}

func startCentral(b *testing.B, bin, kubeconfig string) *central {
	c := &central{addr: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(b)), log: filepath.Join(b.TempDir(), "central.log")}
	logf, err := os.Create(c.log)
	if err != nil {
		b.Fatal(err)
	}
	c.cmd = exec.Command(bin, "central")
	// Default settings, as a user would run it; only where to find the
	// cluster and where to listen.
	c.cmd.Env = []string{"RELIABILITY_KUBECONFIG=" + kubeconfig, "RELIABILITY_LISTEN_ADDRESS=" + c.addr, "HOME=" + os.Getenv("HOME")}
	if os.Getenv("KRE_SCALE_PROFILE_DIR") != "" {
		c.cmd.Env = append(c.cmd.Env, "RELIABILITY_DEBUG_PPROF=true")
	}
	// Experiments only (a GOGC to compare): the figures in bench/ are
	// taken with the defaults.
	c.cmd.Env = append(c.cmd.Env, strings.Fields(os.Getenv("KRE_SCALE_CENTRAL_ENV"))...)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.started = time.Now()
	if err := c.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = c.cmd.Process.Kill()
		}
		logf.Close()
	})
	return c
}

// saveProfile writes /debug/pprof/<what> to path; a failure is logged, as
// the measurements do not depend on it.
func (c *central) saveProfile(b *testing.B, what, path string) {
	resp, err := http.Get("http://" + c.addr + "/debug/pprof/" + what)
	if err != nil {
		b.Logf("profile %s: %v", what, err)
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Logf("profile %s: %s %v", what, resp.Status, err)
		return
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Logf("profile %s: %v", what, err)
	}
}

func (c *central) logTail() string {
	data, _ := os.ReadFile(c.log)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

func (c *central) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + c.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s", limit)
}

// memory returns VmHWM and VmRSS of the process.
func (c *central) memory(b *testing.B) (peak, rss uint64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			peak = v << 10
		case "VmRSS:":
			rss = v << 10
		}
	}
	return peak, rss
}

// memoryClasses is memoryAfterSoak's breakdown: RssAnon and RssFile, and
// the runtime's memory statistics of the last scrape.
func (c *central) memoryClasses(b *testing.B) map[string]float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && (f[0] == "RssAnon:" || f[0] == "RssFile:") {
			v, _ := strconv.ParseFloat(f[1], 64)
			out[strings.ToLower(strings.TrimSuffix(f[0], ":"))] = v * 1024
		}
	}
	for name, v := range c.last {
		if strings.HasPrefix(name, "go_memstats_") && strings.HasSuffix(name, "_bytes") {
			out[strings.TrimSuffix(strings.TrimPrefix(name, "go_memstats_"), "_bytes")] = v
		}
	}
	return out
}

// resetPeak starts a new phase: VmHWM restarts from the current RSS
// (proc(5), clear_refs "5").
func (c *central) resetPeak(b *testing.B) {
	path := fmt.Sprintf("/proc/%d/clear_refs", c.cmd.Process.Pid)
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

func (c *central) cpuSeconds(b *testing.B) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks: USER_HZ is 100 on Linux
}

type scraped struct {
	seconds, alloc, heapInuse float64
	collectors                map[string]float64
}

// scrape GETs /metrics as Prometheus does; record stores the exposition's
// size and series count in r.
func (c *central) scrape(b *testing.B, r *Result, record bool) scraped {
	req, _ := http.NewRequest(http.MethodGet, "http://"+c.addr+"/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		b.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	out := scraped{seconds: time.Since(start).Seconds(), collectors: map[string]float64{}}
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("scrape: %s %v", resp.Status, err)
	}
	var body io.Reader = strings.NewReader(string(raw))
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			b.Fatalf("scrape: gzip: %v", err)
		}
		body = zr
	}
	values := map[string]float64{}
	series, size := 0, 0
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		size += len(line) + 1
		if line == "" || line[0] == '#' {
			continue
		}
		series++
		name, val, ok := strings.Cut(line, " ")
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			val = line[i+1:]
		}
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(val, 64)
		switch {
		case name == "go_memstats_alloc_bytes_total", strings.HasPrefix(name, "go_memstats_") && strings.HasSuffix(name, "_bytes"):
			values[name] = v
		case name == `kube_reliability_collector_updates_total{collector="placement"}`:
			values["placement_updates"] = v
		case strings.HasPrefix(name, `kube_reliability_scrape_collector_duration_seconds{collector="`):
			out.collectors[strings.TrimSuffix(strings.TrimPrefix(name, `kube_reliability_scrape_collector_duration_seconds{collector="`), `"}`)] = v
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatalf("scrape: read: %v", err)
	}
	out.alloc, out.heapInuse = values["go_memstats_alloc_bytes_total"], values["go_memstats_heap_inuse_bytes"]
	c.last = values
	if record {
		r.Series, r.MetricsBytes, r.GzipBytes = series, size, len(raw)
		if resp.Header.Get("Content-Encoding") != "gzip" {
			r.GzipBytes = 0
		}
	}
	return out
}

// updates is the placement collector's update count at the last scrape.
func (c *central) updates() float64 { return c.last["placement_updates"] }

func commit(b *testing.B) string {
	out, err := exec.Command("git", "-C", repoRoot(b), "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func machine() string {
	model := "unknown cpu"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	var mem uint64
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(string(data))
		if len(f) > 1 {
			mem, _ = strconv.ParseUint(f[1], 10, 64)
		}
	}
	return fmt.Sprintf("%d cores, %d GiB, %s", numCPU(), (mem+(1<<19))>>20, model)
}

func numCPU() int {
	n := 0
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if strings.HasPrefix(line, "processor") {
				n++
			}
		}
	}
	return n
}

// writeResult stores r as bench/scale/<pods>.json and rewrites
// bench/scale/README.md from every size on file.
func writeResult(b *testing.B, r Result) {
	dir := filepath.Join(repoRoot(b), "bench", "scale")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.json", r.Shape.Pods)), append(data, '\n'), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(report(results(dir))), 0o644); err != nil {
		b.Fatal(err)
	}
}

// results reads every size on file in dir, smallest first.
func results(dir string) []Result {
	var all []Result
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		var x Result
		if data, err := os.ReadFile(f); err == nil && json.Unmarshal(data, &x) == nil {
			all = append(all, x)
		}
	}
	slices.SortFunc(all, func(a, b Result) int { return a.Shape.Pods - b.Shape.Pods })
	return all
}

var update = flag.Bool("update", false, "rewrite bench/scale/README.md from the results on file")

// TestReportMatchesResults: bench/scale/README.md is what the report
// makes of the results on file, so a new row (or a changed one) is seen
// for every size at once: go test ./test/scale -run TestReport -update.
func TestReportMatchesResults(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "bench", "scale")
	all := results(dir)
	if len(all) == 0 {
		t.Fatal("no results in bench/scale")
	}
	golden.Check(t, filepath.Join(dir, "README.md"), []byte(report(all)), *update, "go test ./test/scale -run TestReport -update")
}
