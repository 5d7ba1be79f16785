package collector

import (
	"sync"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// analysis runs an analyzer over the cluster snapshot at most once per
// snapshot generation. Scrapes between two cluster changes — including
// those of an HA pair of Prometheus servers — share one result instead of
// re-analyzing an unchanged cluster.
type analysis[R any] struct {
	src     cluster.Source
	analyze func(*cluster.Snapshot) R
	// requires names the resources beyond the core ones (nodes, pods,
	// workloads) the analysis reads: while one is unsynced (forbidden,
	// say), it reports not synced and the others still run.
	requires []string

	mu     sync.Mutex
	gen    uint64
	valid  bool
	result R
}

func newAnalysis[R any](src cluster.Source, analyze func(*cluster.Snapshot) R, requires ...string) *analysis[R] {
	return &analysis[R]{src: src, analyze: analyze, requires: requires}
}

// get returns the result for the current snapshot. The generation is read
// before the snapshot, so a change racing with the analysis only causes one
// extra run later, never a stale result kept forever.
func (a *analysis[R]) get() (R, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	gen := a.src.Generation()
	if a.valid && gen == a.gen {
		return a.result, nil
	}
	snap, err := a.src.Snapshot()
	if err == nil {
		err = snap.Require(a.requires...)
	}
	if err != nil {
		var zero R
		return zero, err
	}
	a.result, a.gen, a.valid = a.analyze(snap), gen, true
	return a.result, nil
}
