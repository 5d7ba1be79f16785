package etcd

import (
	"context"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

func pollCluster(t *testing.T, c *testenv.EtcdCluster) []MemberStatus {
	t.Helper()
	var specs []string
	for i, u := range c.ClientURLs {
		specs = append(specs, c.Names[i]+"="+u)
	}
	members, err := ParseMembers(specs)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(Config{Members: members, Timeout: 5 * time.Second}, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	st := p.Poll(context.Background())
	for _, m := range st {
		if !m.Up {
			t.Fatalf("member %s down: %s", m.Name, m.Reason)
		}
	}
	return st
}

func judge(t *testing.T, st []MemberStatus) Verdict {
	t.Helper()
	table, err := KnownIssues()
	if err != nil {
		t.Fatal(err)
	}
	var vs []Version
	for _, m := range st {
		v, err := ParseVersion(m.Version)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return Judge(vs, DefaultMinimum(), table)
}

// TestMixedVersionCluster: a real cluster mid-upgrade, two members of the
// older release built from its Go module and one of this module's etcd,
// started with one --initial-cluster.
func TestMixedVersionCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real mixed-version etcd cluster")
	}
	old, oldVersion, err := testenv.OldEtcdBinary()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	c := testenv.StartEtcdMixed(t, []testenv.EtcdMemberSpec{{Binary: old}, {Binary: old}, {}})
	st := pollCluster(t, c)
	want := []string{strings.TrimPrefix(oldVersion, "v"), strings.TrimPrefix(oldVersion, "v"), "3.7.3"}
	for i, m := range st {
		if m.Version != want[i] {
			t.Errorf("member %s version %q, want %q", m.Name, m.Version, want[i])
		}
		if m.QuotaBytes != 2<<30 {
			t.Errorf("member %s quota %d, want the 2 GiB default", m.Name, m.QuotaBytes)
		}
	}
	v := judge(t, st)
	if v.Drift != 1 || v.BelowMinimum || len(v.KnownIssues) != 0 {
		t.Errorf("verdict %+v, want drift 1, not below minimum, no known issue", v)
	}
}

// TestDebianEtcd34: Debian's etcd-server (3.4, end of life) as its own
// cluster is below minimum; its Status carries no quota, so the quota comes
// from its /metrics.
func TestDebianEtcd34(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Debian's etcd")
	}
	const debian = "/usr/bin/etcd"
	c := testenv.StartEtcdMixed(t, []testenv.EtcdMemberSpec{{Binary: debian}})
	st := pollCluster(t, c)
	if !strings.HasPrefix(st[0].Version, "3.4.") {
		t.Fatalf("Debian's etcd reports %q, want 3.4.x", st[0].Version)
	}
	if st[0].QuotaBytes != 2<<30 {
		t.Errorf("quota %d from /metrics, want the 2 GiB default", st[0].QuotaBytes)
	}
	v := judge(t, st)
	// 3.4.23: end of life, and below the 2026 fixes 3.4 got before it ended.
	want := "CVE-2026-33343-nested-txn-rbac-bypass,CVE-2026-33413-auth-bypass,end-of-life-minor,nested-txn-prevkv-lease-rbac-bypass,read-index-leader-change-race,snapshot-apply-defrag-corruption,stale-reads-process-pause"
	if v.Drift != 0 || !v.BelowMinimum || strings.Join(v.KnownIssues, ",") != want {
		t.Errorf("verdict %+v, want below minimum with known issues %s", v, want)
	}
}

// TestEtcd365ZeroQuota: etcd 3.6.5, built from its Go module, reports
// dbSizeQuota 0 in its endpoint status when no quota is configured (fixed
// in 3.6.6). The poller reads the quota from the member's /metrics
// instead (the 2 GiB default), and the verdict names the issue.
func TestEtcd365ZeroQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd 3.6.5")
	}
	bin, version, err := testenv.EtcdRelease("etcdbuild-3.6.5", "")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if version != "v3.6.5" {
		t.Fatalf("test/etcdbuild-3.6.5 builds %s", version)
	}
	c := testenv.StartEtcdMixed(t, []testenv.EtcdMemberSpec{{Binary: bin}})
	// The situation is real: the member's own Status says 0.
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.ClientURLs, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := cli.Status(ctx, c.ClientURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	if raw.Version != "3.6.5" || raw.DbSizeQuota != 0 {
		t.Fatalf("etcd %s reports dbSizeQuota %d, want 3.6.5 reporting 0", raw.Version, raw.DbSizeQuota)
	}
	st := pollCluster(t, c)
	if st[0].QuotaBytes != 2<<30 || st[0].MetricsFailed {
		t.Errorf("quota %d (metrics failed %t), want the 2 GiB default from /metrics", st[0].QuotaBytes, st[0].MetricsFailed)
	}
	v := judge(t, st)
	if !strings.Contains(strings.Join(v.KnownIssues, ","), "status-reports-zero-quota") {
		t.Errorf("known issues %v, want status-reports-zero-quota among them", v.KnownIssues)
	}
}

// TestServedCertificateExpiry: an https member serving a certificate of
// known expiry, verified against the test CA; a poller without the CA
// fails with reason tls.
func TestServedCertificateExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a TLS etcd")
	}
	ca := testenv.NewCA(t)
	notAfter := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	cert, key := ca.Issue(notAfter)
	e := testenv.StartEtcdTLS(t, cert, key)
	members := []Member{{Name: "tls", URL: e.ClientURL}}

	p, err := NewPoller(Config{Members: members, Timeout: 5 * time.Second, TLS: TLSFiles{CA: ca.File}}, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	st := p.Poll(context.Background())[0]
	if !st.Up || !st.CertNotAfter.Equal(notAfter) {
		t.Errorf("up %t (%s), certificate not after %v, want %v", st.Up, st.Reason, st.CertNotAfter, notAfter)
	}

	other := testenv.NewCA(t)
	bad, err := NewPoller(Config{Members: members, Timeout: 3 * time.Second, TLS: TLSFiles{CA: other.File}}, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if st := bad.Poll(context.Background())[0]; st.Up || st.Reason != "tls" {
		t.Errorf("with the wrong CA: up %t reason %q, want down with reason tls", st.Up, st.Reason)
	}
}
