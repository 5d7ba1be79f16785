package etcd

import (
	"strconv"
	"strings"
	"testing"
)

func TestKnownIssuesTableIsWellFormed(t *testing.T) {
	t.Parallel()
	table, err := KnownIssues()
	if err != nil {
		t.Fatal(err)
	}
	if table.Revision < 2 || len(table.Issues) < 19 {
		t.Errorf("table revision %d with %d issues", table.Revision, len(table.Issues))
	}
	for _, is := range table.Issues {
		if !strings.HasPrefix(is.Source, "https://") {
			t.Errorf("%s: source %q", is.ID, is.Source)
		}
	}
}

func TestParseIssuesRejectsBadTables(t *testing.T) {
	t.Parallel()
	for name, y := range map[string]string{
		"reversed range": "revision: 1\nissues: [{id: a, affected: [{from: 3.5.2, to: 3.5.0}], kind: bug, severity: warning, summary: s, source: 'https://x.test/'}]",
		"bad version":    "revision: 1\nissues: [{id: a, affected: [{from: 3.5, to: 3.5.0}], kind: bug, severity: warning, summary: s, source: 'https://x.test/'}]",
		"duplicate id":   "revision: 1\nissues: [{id: a, affected: [{from: 3.5.0, to: 3.5.0}], kind: bug, severity: warning, summary: s, source: 'https://x.test/'}, {id: a, affected: [{from: 3.5.0, to: 3.5.0}], kind: bug, severity: warning, summary: s, source: 'https://x.test/'}]",
		"bad severity":   "revision: 1\nissues: [{id: a, affected: [{from: 3.5.0, to: 3.5.0}], kind: bug, severity: meh, summary: s, source: 'https://x.test/'}]",
		"unknown field":  "revision: 1\nissues: [{id: a, affected: [], sev: warning}]",
		"no source":      "revision: 1\nissues: [{id: a, kind: bug, affected: [{from: 3.5.0, to: 3.5.0}], severity: warning, summary: s}]",
		"http source":    "revision: 1\nissues: [{id: a, kind: bug, affected: [{from: 3.5.0, to: 3.5.0}], severity: warning, summary: s, source: 'http://x.test/'}]",
		"fixed affected": "revision: 1\nissues: [{id: a, kind: bug, affected: [{from: 3.5.0, to: 3.5.9}], fixed: [3.5.2], severity: warning, summary: s, source: 'https://x.test/'}]",
		"bad kind":       "revision: 1\nissues: [{id: a, kind: meh, affected: [{from: 3.5.0, to: 3.5.0}], severity: warning, summary: s, source: 'https://x.test/'}]",
	} {
		if _, err := ParseIssues([]byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseVersion(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"3.5.9": "3.5.9", "v3.6.16": "3.6.16", "3.6.0-rc.1": "3.6.0", "3.5.9+k3s1": "3.5.9"} {
		v, err := ParseVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "3.5", "3.x.1", "a.b.c", "3.5.-1", "3.5.99999999999"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	table, err := KnownIssues()
	if err != nil {
		t.Fatal(err)
	}
	v := func(s string) Version {
		x, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		name     string
		versions []string
		drift    int
		below    bool
		issues   string
	}{
		{"current 3.6", []string{"3.6.16", "3.6.16", "3.6.16"}, 0, false, ""},
		{"mid-upgrade 3.6 to 3.7", []string{"3.6.16", "3.6.16", "3.7.3"}, 1, false, ""},
		{"3.7.0: the July 2026 advisories", []string{"3.7.0"}, 0, false, "GHSA-6vch-q96h-7gc3-tls-handshake-dos GHSA-xg4h-6gfc-h4m8-watch-range-permission"},
		{"3.6.5: zero quota and the 2026 advisories", []string{"3.6.5"}, 0, false,
			"CVE-2026-33343-nested-txn-rbac-bypass CVE-2026-33413-auth-bypass GHSA-3wh4-j44w-pg92-crl-bypass GHSA-6vch-q96h-7gc3-tls-handshake-dos GHSA-xg4h-6gfc-h4m8-watch-range-permission member-add-fails-with-one-member-down member-update-promotes-learner nested-txn-prevkv-lease-rbac-bypass read-index-leader-change-race stale-reads-process-pause status-reports-zero-quota"},
		{"3.5.33: every 3.5 fix in", []string{"3.5.33"}, 0, false, ""},
		{"3.5.2 everything", []string{"3.5.2"}, 0, true,
			"CVE-2026-33343-nested-txn-rbac-bypass CVE-2026-33413-auth-bypass GHSA-3wh4-j44w-pg92-crl-bypass GHSA-6vch-q96h-7gc3-tls-handshake-dos GHSA-xg4h-6gfc-h4m8-watch-range-permission data-inconsistency-3.5.0-3.5.2 defrag-crash-3.5.0-3.5.5 member-add-fails-with-one-member-down member-update-promotes-learner nested-txn-prevkv-lease-rbac-bypass read-index-leader-change-race snapshot-apply-defrag-corruption stale-reads-process-pause upgrade-3.6-too-many-learners upgrade-3.6-zombie-members"},
		{"3.5.28: advisories of June and July left", []string{"3.5.28"}, 0, false,
			"GHSA-3wh4-j44w-pg92-crl-bypass GHSA-6vch-q96h-7gc3-tls-handshake-dos GHSA-xg4h-6gfc-h4m8-watch-range-permission member-add-fails-with-one-member-down member-update-promotes-learner nested-txn-prevkv-lease-rbac-bypass"},
		{"final 3.4.45: end of life only", []string{"3.4.45"}, 0, true, "end-of-life-minor"},
		{"debian 3.4.23 end of life", []string{"3.4.23"}, 0, true,
			"CVE-2026-33343-nested-txn-rbac-bypass CVE-2026-33413-auth-bypass end-of-life-minor nested-txn-prevkv-lease-rbac-bypass read-index-leader-change-race snapshot-apply-defrag-corruption stale-reads-process-pause"},
		{"3.4.21 auth issue", []string{"3.4.21", "3.5.33"}, 1, true,
			"CVE-2026-33343-nested-txn-rbac-bypass CVE-2026-33413-auth-bypass auth-member-add-inconsistency end-of-life-minor nested-txn-prevkv-lease-rbac-bypass read-index-leader-change-race snapshot-apply-defrag-corruption stale-reads-process-pause"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var vs []Version
			for _, s := range tt.versions {
				vs = append(vs, v(s))
			}
			got := Judge(vs, DefaultMinimum(), table)
			if got.Drift != tt.drift || got.BelowMinimum != tt.below || strings.Join(got.KnownIssues, " ") != tt.issues {
				t.Errorf("got drift %d below %t issues %q; want %d %t %q", got.Drift, got.BelowMinimum, strings.Join(got.KnownIssues, " "), tt.drift, tt.below, tt.issues)
			}
		})
	}
	m, err := ParseMinimum("3.4", []string{"3.4.22", "3.5.6"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Below(v("3.4.22")) || !m.Below(v("3.4.21")) || !m.Below(v("3.3.30")) || m.Below(v("3.6.0")) {
		t.Errorf("configured minimum misjudges: %+v", m)
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"3.5.9", "v3.6.0-rc.1", "3.5.9+k3s1", "", "3..1", "9999999999.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		again, err := ParseVersion(v.String())
		if err != nil || again != v {
			t.Errorf("%q parsed as %v does not round-trip: %v %v", s, v, again, err)
		}
	})
}

func TestParseStorageSizes(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		in   string
		want string
	}{
		"1.28+":       {"# TYPE apiserver_storage_size_bytes gauge\napiserver_storage_size_bytes{storage_cluster_id=\"etcd-0\"} 1.2e+07\n", "etcd-0=12000000"},
		"1.26 name":   {"apiserver_storage_db_total_size_in_bytes{endpoint=\"https://10.0.0.1:2379\"} 42\n", "10.0.0.1:2379=42"},
		"pre 1.26":    {"etcd_db_total_size_in_bytes{endpoint=\"http://127.0.0.1:2379\"} 7\n", "127.0.0.1:2379=7"},
		"newest wins": {"etcd_db_total_size_in_bytes{endpoint=\"x\"} 7\napiserver_storage_size_bytes{a=\"b\\\"}\",storage_cluster_id=\"c\"} 5\n", "c=5"},
		"absent":      {"apiserver_request_total 5\napiserver_storage_size_bytes_other 1\n", ""},
	} {
		got, err := ParseStorageSizes(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var s []string
		for _, g := range got {
			s = append(s, g.Cluster+"="+strconv.FormatFloat(g.Bytes, 'f', -1, 64))
		}
		if strings.Join(s, ",") != tt.want {
			t.Errorf("%s: %v, want %s", name, s, tt.want)
		}
	}
	if _, err := ParseStorageSizes(strings.NewReader("apiserver_storage_size_bytes{storage_cluster_id=\"x\"} -3\n")); err == nil {
		t.Error("negative size accepted")
	}
}

func FuzzParseStorageSizes(f *testing.F) {
	f.Add([]byte("apiserver_storage_size_bytes{storage_cluster_id=\"etcd-0\"} 1.2e+07\n"))
	f.Add([]byte("etcd_db_total_size_in_bytes{endpoint=\"http://127.0.0.1:2379\"} 7\n"))
	f.Add([]byte("apiserver_storage_size_bytes{a=\"\\\\\",b=\"} 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseStorageSizes(strings.NewReader(string(b)))
		for _, g := range got {
			if err == nil && g.Bytes < 0 {
				t.Errorf("negative size %v", g)
			}
		}
	})
}

// FuzzParseAPIServerMetrics: deprecated-API lines of any shape never
// crash the parse, and never grow what it keeps past its bound.
func FuzzParseAPIServerMetrics(f *testing.F) {
	f.Add([]byte("apiserver_requested_deprecated_apis{group=\"resource.k8s.io\",removed_release=\"1.38\",resource=\"deviceclasses\",subresource=\"\",version=\"v1beta1\"} 1\n"))
	f.Add([]byte("apiserver_requested_deprecated_apis{group=\"\",removed_release=\"\",resource=\"endpoints\",subresource=\"\",version=\"v1\"} 1\napiserver_storage_size_bytes{storage_cluster_id=\"0\"} 5\n"))
	f.Add([]byte("apiserver_requested_deprecated_apis{group=\"a\\\"b\",version=} 1\napiserver_requested_deprecated_apis{\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, facts, _ := ParseAPIServerMetrics(strings.NewReader(string(b)))
		if len(facts.Deprecated) > maxDeprecatedAPIs {
			t.Errorf("%d deprecated APIs kept, bound %d", len(facts.Deprecated), maxDeprecatedAPIs)
		}
	})
}
