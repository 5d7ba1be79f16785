package etcd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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

// A rotated Secret: the member's certificate is re-issued by a new CA and
// the CA file the exporter reads is replaced under it (as the kubelet
// swaps a mounted Secret). The next poll reads the new file: up, with no
// restart. Until the file changes, the member is down with reason tls.
func TestPollReloadsRotatedTLSFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an etcd")
	}
	oldCA, newCA := testenv.NewCA(t), testenv.NewCA(t)
	cert, key := newCA.Issue(time.Now().Add(time.Hour))
	e := testenv.StartEtcdTLS(t, cert, key)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	copyFile(t, oldCA.File, caFile)
	p, err := NewPoller(Config{Members: []Member{{Name: "m", URL: e.ClientURL}}, Timeout: 3 * time.Second, TLS: TLSFiles{CA: caFile}}, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if st := p.Poll(context.Background())[0]; st.Up || st.Reason != "tls" {
		t.Fatalf("member under an unknown CA: up %t reason %q, want down with tls", st.Up, st.Reason)
	}
	// Rotation: write aside, rename over (atomic, like the kubelet).
	tmp := caFile + ".new"
	copyFile(t, newCA.File, tmp)
	if err := os.Rename(tmp, caFile); err != nil {
		t.Fatal(err)
	}
	if st := p.Poll(context.Background())[0]; !st.Up {
		t.Errorf("after the CA file was rotated: down with %q, want up without a restart", st.Reason)
	}
	// A half-written rotation does not load: the working files are kept.
	if err := os.WriteFile(caFile, []byte("-----BEGIN CERT"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st := p.Poll(context.Background())[0]; !st.Up {
		t.Errorf("after a broken CA file: down with %q, want the previous CA kept", st.Reason)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A member's /metrics that redirects is not followed: a member answers
// for itself.
func TestMetricsQuotaRefusesRedirects(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("etcd_server_quota_backend_bytes 1.048576e+06\n"))
	}))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/metrics", http.StatusFound))
	defer redirect.Close()
	p, err := NewPoller(Config{Timeout: 5 * time.Second}, discard())
	if err != nil {
		t.Fatal(err)
	}
	if q, err := p.metricsQuota(context.Background(), Member{Name: "r", URL: redirect.URL}); err == nil {
		t.Errorf("followed a redirect to quota %d", q)
	}
	if q, err := p.metricsQuota(context.Background(), Member{Name: "t", URL: target.URL}); err != nil || q != 1<<20 {
		t.Errorf("direct read: %d %v", q, err)
	}
}

// Errors are classified by type and gRPC status, not by their text.
func TestReasonByTypeAndStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for err, want := range map[error]string{
		status.Error(codes.Unavailable, "connection error"):                                                        "unreachable",
		status.Error(codes.DeadlineExceeded, "context deadline exceeded"):                                          "timeout",
		status.Error(codes.PermissionDenied, "permission denied"):                                                  "other",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}:             "unreachable",
		fmt.Errorf("handshake: %w", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}): "tls",
		fmt.Errorf("dial: %w", x509.UnknownAuthorityError{}):                                                       "tls",
		errors.New("connection refused, says the text, but nothing typed"):                                         "other",
	} {
		if got := reason(ctx, err); got != want {
			t.Errorf("reason(%v) = %q, want %q", err, got, want)
		}
	}
}
