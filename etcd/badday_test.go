package etcd

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestMemberFaultsWhilePolled (issue 16): three real etcd processes
// (Debian's etcd-server) polled while one member at a time is killed
// (SIGKILL), stopped (SIGSTOP, the leader: the kernel still accepts
// connections, the process never answers) and cut off by a network partition (on the
// connections the poller already holds, too). Each time the poll round
// ends within the timeout, the faulty member is down with the reason that
// fits, the other two keep their exact values, and all three are up again
// once the fault ends.
func TestMemberFaultsWhilePolled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three etcd processes")
	}
	const debian = "/usr/bin/etcd"
	c := testenv.StartEtcdMixed(t, []testenv.EtcdMemberSpec{{Binary: debian}, {Binary: debian}, {Binary: debian}})
	u, err := url.Parse(c.ClientURLs[2])
	if err != nil {
		t.Fatal(err)
	}
	part := testenv.StartPartition(t, u.Host)
	members := []Member{
		{Name: c.Names[0], URL: c.ClientURLs[0]},
		{Name: c.Names[1], URL: c.ClientURLs[1]},
		{Name: c.Names[2], URL: "http://" + part.Addr},
	}
	const timeout = 2 * time.Second
	p, err := NewPoller(Config{Members: members, Timeout: timeout, MaxMetricsBytes: 4 << 20}, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()

	allUp := func() []MemberStatus {
		t.Helper()
		var st []MemberStatus
		testenv.Eventually(t, 60*time.Second, func() error {
			st = p.Poll(ctx)
			for _, s := range st {
				if !s.Up {
					return fmt.Errorf("%s down (%s)", s.Name, s.Reason)
				}
			}
			return nil
		})
		return st
	}
	before := allUp()
	clusterID := before[0].ClusterID
	var report []string
	unknownAlarms := 0
	fault := func(what string, i int, wantReason string, start, end func()) {
		t.Helper()
		start()
		begun := time.Now()
		st := p.Poll(ctx)
		took := time.Since(begun)
		if took > timeout+time.Second {
			t.Errorf("%s: the poll round took %v, want within the %v timeout", what, took, timeout)
		}
		if st[i].Up || st[i].Reason != wantReason {
			t.Errorf("%s: %s up %v reason %q, want down with %q", what, st[i].Name, st[i].Up, st[i].Reason, wantReason)
		}
		for j, s := range st {
			if j == i {
				continue
			}
			b := before[j]
			if !s.Up || s.Version != b.Version || s.ID != b.ID || s.ClusterID != clusterID || s.QuotaBytes != 2<<30 ||
				s.DBSize <= 0 || s.RaftIndex < b.RaftIndex || s.IsLearner || s.MetricsFailed {
				t.Errorf("%s: healthy member %s reported %+v, want up with its values (before: %+v)", what, s.Name, s, b)
			}
			// The alarm list goes through raft: unknown (not "none") only
			// while the members elect a new leader, when the lost one led.
			lostLeader := before[i].ID == b.Leader
			if !s.AlarmsKnown && !lostLeader || s.AlarmsKnown && len(s.Alarms) != 0 {
				t.Errorf("%s: healthy member %s alarms known %v %v (the lost member led: %v)", what, s.Name, s.AlarmsKnown, s.Alarms, lostLeader)
			}
			if !s.AlarmsKnown {
				unknownAlarms++
			}
		}
		end()
		healed := time.Now()
		after := allUp()
		report = append(report, fmt.Sprintf("%s: %s down (%s) in a %v round, the others' alarms unknown: %d; all up %v after it ended",
			what, st[i].Name, st[i].Reason, took.Round(10*time.Millisecond), unknownAlarms, time.Since(healed).Round(10*time.Millisecond)))
		unknownAlarms = 0
		for j := range after {
			before[j].RaftIndex = after[j].RaftIndex
		}
	}
	fault("killed", 0, "unreachable", func() { c.Kill(0) }, func() { c.Restart(0) })
	// The leader, the harder case: the others elect a new one meanwhile.
	leader := -1
	for i, s := range before {
		if s.ID == s.Leader {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatalf("no member leads: %+v", before)
	}
	fault("stopped (the leader)", leader, "timeout", func() { c.Pause(leader) }, func() { c.Resume(leader) })
	fault("partitioned", 2, "timeout", part.Cut, part.Heal)
	t.Log(strings.Join(report, "; "))
}
