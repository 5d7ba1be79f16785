package audit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
)

func TestPlacementFindings(t *testing.T) {
	t.Parallel()
	res := placement.Result{Workloads: []placement.Workload{
		{Kind: "Deployment", Namespace: "a", Name: "unspread", DesiredReplicas: 2},
		{Kind: "Deployment", Namespace: "a", Name: "single", DesiredReplicas: 1},
		{Kind: "StatefulSet", Namespace: "a", Name: "packed", DesiredReplicas: 3, ReadyReplicas: 3, SingleNode: true, SingleZone: true, EligibleZones: 2, Policies: placement.PreferredAntiAffinity},
	}}
	var got []string
	for _, f := range Placement(res) {
		got = append(got, f.Name+":"+f.Rule+":"+f.Severity.String())
	}
	want := "unspread:placement/no-spread-policy:warning packed:placement/single-node:warning packed:placement/single-zone:warning"
	if strings.Join(got, " ") != want {
		t.Errorf("findings %v\nwant %s", got, want)
	}
}

func TestFailedAndSeverities(t *testing.T) {
	t.Parallel()
	r := Report{Findings: []Finding{{Severity: Warning}}}
	for _, tt := range []struct {
		failOn string
		want   bool
	}{{"info", true}, {"warning", true}, {"critical", false}, {"never", false}} {
		s, err := ParseSeverity(tt.failOn)
		if err != nil {
			t.Fatal(err)
		}
		if r.Failed(s) != tt.want {
			t.Errorf("fail-on %s: %v, want %v", tt.failOn, !tt.want, tt.want)
		}
	}
	if _, err := ParseSeverity("loud"); err == nil {
		t.Error("unknown severity accepted")
	}
	if !(Report{Errors: []string{"x"}}).Failed(Never) {
		t.Error("undecodable input must fail the audit even with fail-on never")
	}
	var b bytes.Buffer
	if err := r.Write(&b, "text"); err != nil || !strings.Contains(b.String(), "1 findings") {
		t.Errorf("text report %q %v", b.String(), err)
	}
}
