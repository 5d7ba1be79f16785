//go:build !agentonly

package collector

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
)

// EtcdSource hands out the last poll of the configured etcd members.
type EtcdSource interface {
	Latest() ([]etcd.MemberStatus, bool)
	Errors() map[[2]string]uint64
	MetricsErrors() map[string]uint64
}

var memberLabel = []string{"member"}

const perMember = "one series per configured etcd member"

var etcdSpec = Spec{
	Name: "etcd", Modes: Central | Demo, DefaultEnabled: true, Uses: []Source{EtcdMembers},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_etcd_member_up", Type: Gauge, Stability: Experimental,
			Help: "1 if the member answered Status within the timeout at the last poll, else 0.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_info", Type: Gauge, Stability: Experimental,
			Help:   "Always 1 for a member that is up; labels carry its server version, member and cluster ids (hex).",
			Labels: []string{"member", "version", "member_id", "cluster_id"}, Bound: perMember},
		{Name: "kube_reliability_etcd_member_db_size_bytes", Type: Gauge, Stability: Experimental,
			Help: "Size of the member's backend database file in bytes, as Status reports it.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_db_size_in_use_bytes", Type: Gauge, Stability: Experimental,
			Help: "Bytes of the member's database in use (the rest is reclaimable by defragmentation).", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_db_quota_bytes", Type: Gauge, Stability: Experimental,
			Help: "The member's backend quota in bytes (Status since 3.6, else its /metrics); absent when unknown.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_is_leader", Type: Gauge, Stability: Experimental,
			Help: "1 if the member is the raft leader, else 0.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_is_learner", Type: Gauge, Stability: Experimental,
			Help: "1 if the member is a non-voting learner, else 0.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_alarm_active", Type: Gauge, Stability: Experimental,
			Help:   "1 if the alarm (NOSPACE: quota exhausted, writes refused; CORRUPT: data corruption detected) is raised for the member, else 0.",
			Labels: []string{"member", "alarm"}, Bound: "two series per configured etcd member"},
		{Name: "kube_reliability_etcd_member_poll_errors_total", Type: Counter, Stability: Experimental,
			Help:   "Failed polls of the member since start, by reason (timeout, unreachable, tls, other).",
			Labels: []string{"member", "reason"}, Bound: "four series per configured etcd member"},
		{Name: "kube_reliability_etcd_member_metrics_errors_total", Type: Counter, Stability: Experimental,
			Help: "Failed reads of the member's /metrics (the quota fallback for servers before 3.6): unreachable, garbage, or larger than the read limit.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_certificate_not_after_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Not-after time (Unix seconds) of the certificate the member's client endpoint serves; absent without TLS.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_member_certificate_expiry_seconds", Type: Gauge, Stability: Experimental,
			Help: "Seconds until the member's served client certificate expires (negative once expired); absent without TLS.", Labels: memberLabel, Bound: perMember},
		{Name: "kube_reliability_etcd_version_drift", Type: Gauge, Stability: Experimental,
			Help: "Distinct server versions among the members that are up, minus one: above 0 the cluster is mid-upgrade or stuck in one.", Bound: "one series"},
		{Name: "kube_reliability_etcd_version_below_minimum", Type: Gauge, Stability: Experimental,
			Help: "1 if a member that is up runs a version below the configured minimum (end-of-life minor or below its patch floor), else 0.", Bound: "one series"},
		{Name: "kube_reliability_etcd_known_issue", Type: Gauge, Stability: Experimental,
			Help:   "1 for each known issue (etcd/known-issues.yaml) affecting a member's version, with the issue's severity.",
			Labels: []string{"id", "severity"}, Bound: "one series per known issue affecting a member (the table has a few dozen at most)"},
		{Name: "kube_reliability_etcd_known_issues_table_revision", Type: Gauge, Stability: Experimental,
			Help: "Revision of the known-issues table (etcd/known-issues.yaml) the verdicts come from; it grows whenever an entry changes.", Bound: "one series"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Etcd == nil {
			return noSource{}, nil
		}
		if d.EtcdJudgement.Issues == nil {
			return nil, fmt.Errorf("etcd collector: no known-issue table")
		}
		return etcdCollector{d.Etcd, d.EtcdJudgement, d}, nil
	},
}

type etcdCollector struct {
	src   EtcdSource
	judge EtcdJudgement
	deps  Deps
}

func (c etcdCollector) Update(_ context.Context, e *Emitter) error {
	st, ok := c.src.Latest()
	if !ok {
		return ErrNoData // first poll not done yet
	}
	e.Gauge("kube_reliability_etcd_known_issues_table_revision", float64(c.judge.Issues.Revision))
	now := c.deps.now()
	for _, m := range st {
		e.Bool("kube_reliability_etcd_member_up", m.Up, m.Name)
		if !m.Up {
			continue
		}
		e.Gauge("kube_reliability_etcd_member_info", 1, m.Name, m.Version, strconv.FormatUint(m.ID, 16), strconv.FormatUint(m.ClusterID, 16))
		e.Gauge("kube_reliability_etcd_member_db_size_bytes", float64(m.DBSize), m.Name)
		e.Gauge("kube_reliability_etcd_member_db_size_in_use_bytes", float64(m.DBSizeInUse), m.Name)
		if m.QuotaBytes > 0 {
			e.Gauge("kube_reliability_etcd_member_db_quota_bytes", float64(m.QuotaBytes), m.Name)
		}
		e.Bool("kube_reliability_etcd_member_is_leader", m.Leader != 0 && m.Leader == m.ID, m.Name)
		e.Bool("kube_reliability_etcd_member_is_learner", m.IsLearner, m.Name)
		if m.AlarmsKnown {
			for _, a := range etcd.Alarms {
				e.Bool("kube_reliability_etcd_member_alarm_active", m.Alarms[a], m.Name, a)
			}
		}
		if !m.CertNotAfter.IsZero() {
			e.Gauge("kube_reliability_etcd_member_certificate_not_after_timestamp_seconds", float64(m.CertNotAfter.Unix()), m.Name)
			e.Gauge("kube_reliability_etcd_member_certificate_expiry_seconds", m.CertNotAfter.Sub(now).Seconds(), m.Name)
		}
	}
	for k, n := range c.src.Errors() {
		e.Counter("kube_reliability_etcd_member_poll_errors_total", float64(n), k[0], k[1])
	}
	for member, n := range c.src.MetricsErrors() {
		e.Counter("kube_reliability_etcd_member_metrics_errors_total", float64(n), member)
	}
	v, ok := c.judge.Members(st)
	if !ok {
		return nil // no member up: versions unknown, not "no drift"
	}
	e.Gauge("kube_reliability_etcd_version_drift", float64(v.Drift))
	e.Bool("kube_reliability_etcd_version_below_minimum", v.BelowMinimum)
	sev := map[string]string{}
	for _, is := range c.judge.Issues.Issues {
		sev[is.ID] = is.Severity
	}
	for _, id := range v.KnownIssues {
		e.Gauge("kube_reliability_etcd_known_issue", 1, id, sev[id])
	}
	return nil
}
