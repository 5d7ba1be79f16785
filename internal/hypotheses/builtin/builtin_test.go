package builtin

import (
	"errors"
	"slices"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/hypotheses"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
)

// A drain blocked anywhere breaks no-node-drain-blocked whatever else is
// unknown; with none blocked, one node whose budget cannot be computed
// makes the answer unknown, never a pass.
func TestNoNodeDrainBlocked(t *testing.T) {
	blocked := disruption.Result{Nodes: []disruption.Node{{Name: "a", Known: true, Blocked: true}, {Name: "b"}}}
	if got, err := NoNodeDrainBlocked(blocked); err != nil || !slices.Equal(got, []string{"node a"}) {
		t.Errorf("blocked: %v, %v", got, err)
	}
	unknown := disruption.Result{Nodes: []disruption.Node{{Name: "a", Known: true}, {Name: "b"}}}
	if got, err := NoNodeDrainBlocked(unknown); !errors.Is(err, hypotheses.ErrUnknown) || got != nil {
		t.Errorf("unknown: %v, %v", got, err)
	}
	fine := disruption.Result{Nodes: []disruption.Node{{Name: "a", Known: true}}}
	if got, err := NoNodeDrainBlocked(fine); err != nil || len(got) != 0 {
		t.Errorf("fine: %v, %v", got, err)
	}
}

// Zone loss is unknown while a ready replica runs on a zoneless node;
// otherwise each zone whose loss takes workloads down breaks it.
func TestSurvivesZoneLoss(t *testing.T) {
	if _, err := SurvivesZoneLoss(loss.Result{}); !errors.Is(err, hypotheses.ErrUnknown) {
		t.Errorf("zones unknown: %v", err)
	}
	r := loss.Result{ZonesKnown: true, Zones: []loss.Domain{{Name: "a", Lost: 2}, {Name: "b"}}}
	if got, err := SurvivesZoneLoss(r); err != nil || !slices.Equal(got, []string{"zone a: 2 workloads lost"}) {
		t.Errorf("got %v, %v", got, err)
	}
}
