package collector

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// fakeValues emits kube_reliability_test_value{name} for each entry, or
// fails; its version changes only when told, like an unchanged cluster.
type fakeValues struct {
	values  map[string]float64
	fail    bool
	version uint64
}

func (f *fakeValues) Version() uint64 { return f.version }

func (f *fakeValues) Update(_ context.Context, e *Emitter) error {
	if f.fail {
		return errors.New("source down")
	}
	for k, v := range f.values {
		e.Gauge("kube_reliability_test_value", v, k)
	}
	return nil
}

// User-defined hypotheses read the other collectors' output of the same
// render — as text, and again once it is only kept compressed — and are
// unknown, with the reason, while that collector fails.
func TestUserHypothesesOverSetOutput(t *testing.T) {
	t.Parallel()
	fake := &fakeValues{values: map[string]float64{"a": 1, "b": 5}, version: 1}
	fakeSpec := &Spec{Name: "fake", Modes: Central, Metrics: []MetricSpec{
		{Name: "kube_reliability_test_value", Type: Gauge, Help: "test", Labels: []string{"name"}},
	}, New: func(Deps) (Collector, error) { return fake, nil }}
	file := filepath.Join(t.TempDir(), "h.yaml")
	if err := os.WriteFile(file, []byte("hypotheses:\n  - {name: below-three, family: kube_reliability_test_value, aggregation: max, comparison: '<', threshold: 3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := NewSet([]*Spec{&hypothesesSpec, fakeSpec}, Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Cluster: cluster.Static{S: &cluster.Snapshot{}},
		Settings: Settings{HypothesesFile: file},
	}, 5e9)
	if err != nil {
		t.Fatal(err)
	}
	h := set.Hypotheses()
	check := func(wantHolds string, wantObserved float64, wantReason string) {
		t.Helper()
		a, ok := h.Get("below-three")
		if !ok {
			t.Fatal("no below-three")
		}
		holds := "unknown"
		if a.Holds != nil {
			holds = map[bool]string{true: "true", false: "false"}[*a.Holds]
		}
		if holds != wantHolds || (a.Observed != nil && *a.Observed != wantObserved) || !strings.Contains(a.Reason, wantReason) {
			t.Errorf("holds %s observed %v reason %q; want %s %v %q", holds, a.Observed, a.Reason, wantHolds, wantObserved, wantReason)
		}
	}
	check("false", 5, "")
	// A gzip scrape keeps only the compressed output; the unchanged
	// collector is not run again, and its output is read back from it.
	if err := set.Expose(io.Discard, true); err != nil {
		t.Fatal(err)
	}
	set.mu.Lock()
	set.outputs[1].samples = nil // forget the parsed cache: read the gzip member
	set.mu.Unlock()
	check("false", 5, "")
	fake.values["b"], fake.version = 2, 2
	check("true", 2, "")
	fake.fail, fake.version = true, 3
	check("unknown", 0, "collector fake failed or is not synced")
}
