package etcd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestPollRealCluster: a 3-member embedded etcd with a small quota is
// written until NOSPACE; the poll reports the alarm on the member that
// raised it and the database size and quota Status reports; a stopped
// member is down within the timeout while the others stay right; after
// disarming, the alarm is gone.
func TestPollRealCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-member etcd cluster")
	}
	const quota = 8 << 20
	c := testenv.StartEtcdCluster(t, 3, quota)
	var specs []string
	for i, u := range c.ClientURLs {
		specs = append(specs, c.Names[i]+"="+u)
	}
	members, err := ParseMembers(specs)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(Config{Members: members, Timeout: 3 * time.Second}, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()

	cli, err := clientv3.New(clientv3.Config{Endpoints: c.ClientURLs, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	value := strings.Repeat("x", 512<<10)
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		_, full = cli.Put(ctx, "k"+string(rune('a'+i%26))+string(rune('a'+i/26)), value)
	}
	if full == nil || !strings.Contains(full.Error(), "database space exceeded") {
		t.Fatalf("writing 100 MiB into an 8 MiB quota: err = %v, want database space exceeded", full)
	}

	// Followers apply, and every backend commits, a moment later: wait
	// until each member's database has settled before comparing.
	last := map[string][2]int64{}
	steady := 0
	testenv.Eventually(t, 30*time.Second, func() error {
		settled := true
		for _, u := range c.ClientURLs {
			s, err := cli.Status(ctx, u)
			if err != nil {
				return err
			}
			now := [2]int64{s.DbSize, s.DbSizeInUse}
			if now != last[u] {
				settled = false
			}
			last[u] = now
		}
		if !settled {
			steady = 0
			return errors.New("member databases still changing")
		}
		// Unchanged over several reads, not just two.
		if steady++; steady < 5 {
			return errors.New("member databases settling")
		}
		return nil
	})
	st := p.Poll(ctx)
	nospace := 0
	for _, m := range st {
		if !m.Up {
			t.Fatalf("member %s down: %s", m.Name, m.Reason)
		}
		if m.Version != "3.7.3" || m.QuotaBytes != quota || !m.AlarmsKnown {
			t.Errorf("member %s: version %q quota %d alarms known %t", m.Name, m.Version, m.QuotaBytes, m.AlarmsKnown)
		}
		direct, err := cli.Status(ctx, m.URL)
		if err != nil {
			t.Fatal(err)
		}
		if m.DBSize != direct.DbSize || m.DBSizeInUse != direct.DbSizeInUse || m.ID != direct.Header.MemberId {
			t.Errorf("member %s: db %d/%d id %x, Status says %d/%d id %x", m.Name, m.DBSize, m.DBSizeInUse, m.ID, direct.DbSize, direct.DbSizeInUse, direct.Header.MemberId)
		}
		if m.DBSize < quota/2 {
			t.Errorf("member %s: db size %d, want over half the %d quota", m.Name, m.DBSize, quota)
		}
		if m.Alarms["NOSPACE"] {
			nospace++
		}
	}
	if nospace == 0 {
		t.Error("no member reports the NOSPACE alarm the cluster raised")
	}

	c.Stop(2)
	start := time.Now()
	st = p.Poll(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("poll with a stopped member took %s, past the 3s timeout", took)
	}
	if st[2].Up || st[2].Reason == "" {
		t.Errorf("stopped member: up %t reason %q", st[2].Up, st[2].Reason)
	}
	if !st[0].Up || !st[1].Up {
		t.Errorf("healthy members affected by the stopped one: %+v %+v", st[0].Up, st[1].Up)
	}

	if _, err := cli.AlarmDisarm(ctx, &clientv3.AlarmMember{}); err != nil {
		t.Fatal(err)
	}
	for _, m := range p.Poll(ctx)[:2] {
		if m.Alarms["NOSPACE"] {
			t.Errorf("member %s still reports NOSPACE after disarm", m.Name)
		}
	}
}

func TestParseQuota(t *testing.T) {
	t.Parallel()
	q, err := ParseQuota(strings.NewReader("# HELP x\netcd_server_quota_backend_bytes_other 1\netcd_server_quota_backend_bytes 2.147483648e+09\n"))
	if err != nil || q != 2147483648 {
		t.Errorf("quota %d, %v", q, err)
	}
	if _, err := ParseQuota(strings.NewReader("garbage\n\x00\xff")); !errors.Is(err, ErrNoQuota) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := ParseQuota(strings.NewReader("etcd_server_quota_backend_bytes NaNx\n")); err == nil {
		t.Error("bad value accepted")
	}
	// An endless body is bounded by the caller's LimitReader; a line longer
	// than the scanner buffer is an error, not unbounded memory.
	if _, err := ParseQuota(io.LimitReader(endless{}, 1<<20)); err == nil {
		t.Error("an endless line parsed")
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func FuzzParseQuota(f *testing.F) {
	f.Add([]byte("etcd_server_quota_backend_bytes 2.147483648e+09\n"))
	f.Add([]byte("etcd_server_quota_backend_bytes{a=\"}\"} 5\n"))
	f.Add([]byte("etcd_server_quota_backend_bytes\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := ParseQuota(strings.NewReader(string(b)))
		if err == nil && q < 0 {
			t.Errorf("negative quota %d", q)
		}
	})
}

func TestParseMembers(t *testing.T) {
	t.Parallel()
	m, err := ParseMembers([]string{"etcd-a=https://10.0.0.1:2379", "http://127.0.0.1:2379/", " "})
	if err != nil || len(m) != 2 || m[0].Name != "etcd-a" || m[1].Name != "127.0.0.1:2379" || m[1].URL != "http://127.0.0.1:2379" {
		t.Errorf("members %+v, %v", m, err)
	}
	for _, bad := range [][]string{{"10.0.0.1:2379"}, {"a=ftp://x"}, {"a=http://x:1", "a=http://y:1"}} {
		if _, err := ParseMembers(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// A member that accepts connections and never answers is down within the
// timeout, with reason timeout; one refusing connections is unreachable at
// once; the healthy member next to them is polled in full.
func TestPollFaultyEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd")
	}
	good := testenv.StartEtcd(t, 0)
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	refused := "http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	members := []Member{{Name: "good", URL: good.ClientURL}, {Name: "hang", URL: "http://" + hang.Addr().String()}, {Name: "refused", URL: refused}}
	p, err := NewPoller(Config{Members: members, Timeout: 2 * time.Second}, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	st := p.Poll(context.Background())
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("poll took %s with a 2s timeout", took)
	}
	if !st[0].Up || st[0].Version != "3.7.3" {
		t.Errorf("healthy member: %+v", st[0])
	}
	if st[1].Up || st[1].Reason != "timeout" {
		t.Errorf("hanging member: up %t reason %q, want timeout", st[1].Up, st[1].Reason)
	}
	if st[2].Up || st[2].Reason != "unreachable" {
		t.Errorf("refusing member: up %t reason %q, want unreachable", st[2].Up, st[2].Reason)
	}
}

// A /metrics endpoint serving garbage or an endless body: the read is
// bounded, fails, and the monitor counts it.
func TestMetricsQuotaBadEndpoints(t *testing.T) {
	t.Parallel()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("\x00\xffnot prometheus\n{{{\n"))
	}))
	defer garbage.Close()
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 4096) + "\n")
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer endless.Close()
	p, err := NewPoller(Config{Timeout: 5 * time.Second, MaxMetricsBytes: 1 << 20}, discard())
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]string{"garbage": garbage.URL, "endless": endless.URL} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		_, err := p.metricsQuota(ctx, Member{Name: name, URL: u})
		cancel()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if time.Since(start) > 4*time.Second {
			t.Errorf("%s: read not bounded (%s)", name, time.Since(start))
		}
	}
	m := NewMonitor(&Poller{cfg: Config{Members: []Member{{Name: "a"}, {Name: "b"}}}}, time.Minute)
	m.record([]MemberStatus{{Member: Member{Name: "a"}, Up: true, MetricsFailed: true}, {Member: Member{Name: "b"}, Up: false, Reason: "timeout"}})
	if got := m.MetricsErrors(); got["a"] != 1 || got["b"] != 0 {
		t.Errorf("metrics errors %v", got)
	}
	if got := m.Errors(); got[[2]string{"b", "timeout"}] != 1 || got[[2]string{"a", "tls"}] != 0 || len(got) != 8 {
		t.Errorf("poll errors %v", got)
	}
}
