package etcd

import (
	"slices"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// Alarms is spelt out (member.go links no etcd client); it must be
// etcd's own names for the alarms the poller reports.
func TestAlarmsAreEtcdNames(t *testing.T) {
	want := []string{pb.AlarmType_NOSPACE.String(), pb.AlarmType_CORRUPT.String()}
	if !slices.Equal(Alarms, want) {
		t.Errorf("Alarms %v, want %v", Alarms, want)
	}
}
