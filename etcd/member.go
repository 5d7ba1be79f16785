package etcd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/targets"
)

// Alarms reported per member, as in the alarm label.
// (etcdserverpb's AlarmType names, spelt out so that the agent's build,
// which has no etcd client, can share these types; a test checks them.)
var Alarms = []string{"NOSPACE", "CORRUPT"}

// Error reasons, a closed set for the reason label.
var Reasons = []string{"timeout", "unreachable", "tls", "other"}

// Member is one configured etcd member endpoint.
type Member struct {
	// Name labels the member's series: the configured name, or the
	// endpoint's host:port.
	Name string
	URL  string
}

// ParseMembers parses "name=https://host:2379" or plain URLs.
func ParseMembers(specs []string) ([]Member, error) {
	ts, err := targets.Parse("etcd endpoint", specs)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(ts))
	for i, t := range ts {
		out[i] = Member{Name: t.Name, URL: t.URL.Scheme + "://" + t.URL.Host}
	}
	return out, nil
}

// MemberStatus is what one poll learned about one member. When Up is
// false, Reason says why and nothing else is known.
type MemberStatus struct {
	Member
	Up     bool
	Reason string

	Version               string
	ID, ClusterID, Leader uint64
	IsLearner             bool
	DBSize, DBSizeInUse   int64
	RaftIndex             uint64
	QuotaBytes            int64 // 0: unknown
	Alarms                map[string]bool
	AlarmsKnown           bool
	// MetricsFailed: the quota fallback read of /metrics failed (garbage,
	// too large, unreachable); the quota is then unknown.
	MetricsFailed bool
	CertNotAfter  time.Time // zero: no TLS or unknown
}

// TLSFiles configures client TLS; empty fields mean plain or system roots.
type TLSFiles struct{ CA, Cert, Key string }

// Config configures a Poller.
type Config struct {
	Members []Member
	TLS     TLSFiles
	// Timeout bounds each member's whole poll.
	Timeout time.Duration
	// MaxMetricsBytes bounds the read of a member's /metrics (quota
	// fallback for servers whose Status has no quota).
	MaxMetricsBytes int64
}

// ErrNoQuota: the member's /metrics has no quota line.
var ErrNoQuota = errors.New("no etcd_server_quota_backend_bytes in /metrics")

// ParseQuota finds etcd_server_quota_backend_bytes in a Prometheus text
// exposition. It reads at most what r yields (callers bound it) and never
// holds more than one line.
func ParseQuota(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "etcd_server_quota_backend_bytes")
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		if i := strings.LastIndexByte(rest, '}'); i >= 0 {
			rest = rest[i+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		f, err := strconv.ParseFloat(fields[0], 64)
		if err != nil || f < 0 || f > 1<<62 {
			return 0, fmt.Errorf("etcd_server_quota_backend_bytes value %q", fields[0])
		}
		return int64(f), nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read /metrics: %w", err)
	}
	return 0, ErrNoQuota
}
