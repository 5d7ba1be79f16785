package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
)

type fakeEtcd struct {
	st     []etcd.MemberStatus
	polled bool
}

func (f fakeEtcd) Latest() ([]etcd.MemberStatus, bool) { return f.st, f.polled }
func (f fakeEtcd) Errors() map[[2]string]uint64 {
	return map[[2]string]uint64{{"etcd-2", "timeout"}: 3}
}
func (f fakeEtcd) MetricsErrors() map[string]uint64 { return map[string]uint64{"etcd-1": 2} }

// A cluster mid-upgrade (3.5.2 and 3.5.26 up, one member down), with a
// served certificate expiring in exactly 10 days on the injected clock.
func TestEtcdCollector(t *testing.T) {
	t.Parallel()
	issues, err := etcd.KnownIssues()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	src := fakeEtcd{polled: true, st: []etcd.MemberStatus{
		{Member: etcd.Member{Name: "etcd-0"}, Up: true, Version: "3.5.2", ID: 0xa, ClusterID: 0xc, Leader: 0xa, DBSize: 800, DBSizeInUse: 500, QuotaBytes: 1000,
			AlarmsKnown: true, Alarms: map[string]bool{"NOSPACE": true}, CertNotAfter: now.Add(240 * time.Hour)},
		{Member: etcd.Member{Name: "etcd-1"}, Up: true, Version: "3.5.26", ID: 0xb, ClusterID: 0xc, Leader: 0xa, DBSize: 700, DBSizeInUse: 700, AlarmsKnown: false},
		{Member: etcd.Member{Name: "etcd-2"}, Up: false, Reason: "timeout"},
	}}
	s := newSet(t, &etcdSpec, Deps{Etcd: src, Now: func() time.Time { return now }, Settings: Settings{EtcdJudgement: EtcdJudgement{Minimum: etcd.DefaultMinimum(), Issues: issues}}})
	want := `
# HELP kube_reliability_etcd_known_issue 1 for each known issue (etcd/known-issues.yaml) affecting a member's version, with the issue's severity.
# TYPE kube_reliability_etcd_known_issue gauge
kube_reliability_etcd_known_issue{id="CVE-2026-33343-nested-txn-rbac-bypass",severity="critical"} 1
kube_reliability_etcd_known_issue{id="CVE-2026-33413-auth-bypass",severity="critical"} 1
kube_reliability_etcd_known_issue{id="GHSA-3wh4-j44w-pg92-crl-bypass",severity="warning"} 1
kube_reliability_etcd_known_issue{id="GHSA-6vch-q96h-7gc3-tls-handshake-dos",severity="critical"} 1
kube_reliability_etcd_known_issue{id="GHSA-xg4h-6gfc-h4m8-watch-range-permission",severity="critical"} 1
kube_reliability_etcd_known_issue{id="data-inconsistency-3.5.0-3.5.2",severity="critical"} 1
kube_reliability_etcd_known_issue{id="defrag-crash-3.5.0-3.5.5",severity="warning"} 1
kube_reliability_etcd_known_issue{id="member-add-fails-with-one-member-down",severity="warning"} 1
kube_reliability_etcd_known_issue{id="member-update-promotes-learner",severity="warning"} 1
kube_reliability_etcd_known_issue{id="nested-txn-prevkv-lease-rbac-bypass",severity="critical"} 1
kube_reliability_etcd_known_issue{id="read-index-leader-change-race",severity="critical"} 1
kube_reliability_etcd_known_issue{id="snapshot-apply-defrag-corruption",severity="critical"} 1
kube_reliability_etcd_known_issue{id="stale-reads-process-pause",severity="critical"} 1
kube_reliability_etcd_known_issue{id="upgrade-3.6-too-many-learners",severity="warning"} 1
# HELP kube_reliability_etcd_known_issues_table_revision Revision of the known-issues table (etcd/known-issues.yaml) the verdicts come from; it grows whenever an entry changes.
# TYPE kube_reliability_etcd_known_issues_table_revision gauge
kube_reliability_etcd_known_issues_table_revision 2
kube_reliability_etcd_known_issue{id="upgrade-3.6-zombie-members",severity="warning"} 1
# HELP kube_reliability_etcd_member_alarm_active 1 if the alarm (NOSPACE: quota exhausted, writes refused; CORRUPT: data corruption detected) is raised for the member, else 0.
# TYPE kube_reliability_etcd_member_alarm_active gauge
kube_reliability_etcd_member_alarm_active{alarm="CORRUPT",member="etcd-0"} 0
kube_reliability_etcd_member_alarm_active{alarm="NOSPACE",member="etcd-0"} 1
# HELP kube_reliability_etcd_member_certificate_expiry_seconds Seconds until the member's served client certificate expires (negative once expired); absent without TLS.
# TYPE kube_reliability_etcd_member_certificate_expiry_seconds gauge
kube_reliability_etcd_member_certificate_expiry_seconds{member="etcd-0"} 864000
# HELP kube_reliability_etcd_member_certificate_not_after_timestamp_seconds Not-after time (Unix seconds) of the certificate the member's client endpoint serves; absent without TLS.
# TYPE kube_reliability_etcd_member_certificate_not_after_timestamp_seconds gauge
kube_reliability_etcd_member_certificate_not_after_timestamp_seconds{member="etcd-0"} 1.7964288e+09
# HELP kube_reliability_etcd_member_db_quota_bytes The member's backend quota in bytes (Status since 3.6, else its /metrics); absent when unknown.
# TYPE kube_reliability_etcd_member_db_quota_bytes gauge
kube_reliability_etcd_member_db_quota_bytes{member="etcd-0"} 1000
# HELP kube_reliability_etcd_member_db_size_bytes Size of the member's backend database file in bytes, as Status reports it.
# TYPE kube_reliability_etcd_member_db_size_bytes gauge
kube_reliability_etcd_member_db_size_bytes{member="etcd-0"} 800
kube_reliability_etcd_member_db_size_bytes{member="etcd-1"} 700
# HELP kube_reliability_etcd_member_db_size_in_use_bytes Bytes of the member's database in use (the rest is reclaimable by defragmentation).
# TYPE kube_reliability_etcd_member_db_size_in_use_bytes gauge
kube_reliability_etcd_member_db_size_in_use_bytes{member="etcd-0"} 500
kube_reliability_etcd_member_db_size_in_use_bytes{member="etcd-1"} 700
# HELP kube_reliability_etcd_member_info Always 1 for a member that is up; labels carry its server version, member and cluster ids (hex).
# TYPE kube_reliability_etcd_member_info gauge
kube_reliability_etcd_member_info{cluster_id="c",member="etcd-0",member_id="a",version="3.5.2"} 1
kube_reliability_etcd_member_info{cluster_id="c",member="etcd-1",member_id="b",version="3.5.26"} 1
# HELP kube_reliability_etcd_member_is_leader 1 if the member is the raft leader, else 0.
# TYPE kube_reliability_etcd_member_is_leader gauge
kube_reliability_etcd_member_is_leader{member="etcd-0"} 1
kube_reliability_etcd_member_is_leader{member="etcd-1"} 0
# HELP kube_reliability_etcd_member_is_learner 1 if the member is a non-voting learner, else 0.
# TYPE kube_reliability_etcd_member_is_learner gauge
kube_reliability_etcd_member_is_learner{member="etcd-0"} 0
kube_reliability_etcd_member_is_learner{member="etcd-1"} 0
# HELP kube_reliability_etcd_member_metrics_errors_total Failed reads of the member's /metrics (the quota fallback for servers before 3.6): unreachable, garbage, or larger than the read limit.
# TYPE kube_reliability_etcd_member_metrics_errors_total counter
kube_reliability_etcd_member_metrics_errors_total{member="etcd-1"} 2
# HELP kube_reliability_etcd_member_poll_errors_total Failed polls of the member since start, by reason (timeout, unreachable, tls, other).
# TYPE kube_reliability_etcd_member_poll_errors_total counter
kube_reliability_etcd_member_poll_errors_total{member="etcd-2",reason="timeout"} 3
# HELP kube_reliability_etcd_member_up 1 if the member answered Status within the timeout at the last poll, else 0.
# TYPE kube_reliability_etcd_member_up gauge
kube_reliability_etcd_member_up{member="etcd-0"} 1
kube_reliability_etcd_member_up{member="etcd-1"} 1
kube_reliability_etcd_member_up{member="etcd-2"} 0
# HELP kube_reliability_etcd_version_below_minimum 1 if a member that is up runs a version below the configured minimum (end-of-life minor or below its patch floor), else 0.
# TYPE kube_reliability_etcd_version_below_minimum gauge
kube_reliability_etcd_version_below_minimum 1
# HELP kube_reliability_etcd_version_drift Distinct server versions among the members that are up, minus one: above 0 the cluster is mid-upgrade or stuck in one.
# TYPE kube_reliability_etcd_version_drift gauge
kube_reliability_etcd_version_drift 1
# HELP kube_reliability_scrape_collector_success 1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.
# TYPE kube_reliability_scrape_collector_success gauge
kube_reliability_scrape_collector_success{collector="etcd"} 1
`
	if err := testutil.CollectAndCompare(withoutDuration{s}, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(s); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}

	// Before the first poll: nothing, success 0. No member up: no verdict.
	before := newSet(t, &etcdSpec, Deps{Etcd: fakeEtcd{}, Settings: Settings{EtcdJudgement: EtcdJudgement{Issues: issues}}})
	if err := testutil.CollectAndCompare(withoutDuration{before}, strings.NewReader(`
# HELP kube_reliability_scrape_collector_no_data 1 while the collector has nothing to report by design (an optional source absent or not configured, or not read yet) rather than failing; its success is then 0 and it exports nothing. Absent otherwise.
# TYPE kube_reliability_scrape_collector_no_data gauge
kube_reliability_scrape_collector_no_data{collector="etcd"} 1
# HELP kube_reliability_scrape_collector_success 1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.
# TYPE kube_reliability_scrape_collector_success gauge
kube_reliability_scrape_collector_success{collector="etcd"} 0
`)); err != nil {
		t.Errorf("before the first poll: %v", err)
	}
	down := newSet(t, &etcdSpec, Deps{Etcd: fakeEtcd{polled: true, st: []etcd.MemberStatus{{Member: etcd.Member{Name: "e"}, Reason: "unreachable"}}}, Settings: Settings{EtcdJudgement: EtcdJudgement{Issues: issues}}})
	if n := testutil.CollectAndCount(down, "kube_reliability_etcd_version_drift"); n != 0 {
		t.Error("drift exported with no member up: unknown must not be 0")
	}
}
