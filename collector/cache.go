//go:build !agentonly

package collector

import (
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// analysis runs an analyzer over the cluster snapshot at most once per
// snapshot generation. Scrapes between two cluster changes — including
// those of an HA pair of Prometheus servers — share one result instead of
// re-analyzing an unchanged cluster. While the cluster churns (a rollout
// changes it many times a second), it runs at most once per minInterval:
// results are then up to minInterval old, and the cost of analysis is
// bounded whatever the churn and however many servers scrape.
type analysis[R any] struct {
	src         cluster.Source
	analyze     func(*cluster.Snapshot) R
	minInterval time.Duration
	now         func() time.Time
	// requires names the resources the analysis reads: while one is
	// unsynced (forbidden, say) or not watched, it reports not synced and
	// the others still run.
	requires []string

	mu     sync.Mutex
	gen    uint64
	at     time.Time
	valid  bool
	result R
}

func newAnalysis[R any](d Deps, src cluster.Source, analyze func(*cluster.Snapshot) R, requires ...string) *analysis[R] {
	return &analysis[R]{src: src, analyze: analyze, minInterval: d.AnalysisMinInterval, now: d.now, requires: requires}
}

// sharedAnalysis returns the Set's analysis named key, making it on first
// use. Every caller of one key must pass the same analyzer and source.
func sharedAnalysis[R any](d Deps, key string, src cluster.Source, analyze func(*cluster.Snapshot) R, requires ...string) *analysis[R] {
	if d.shared == nil {
		return newAnalysis(d, src, analyze, requires...)
	}
	d.shared.mu.Lock()
	defer d.shared.mu.Unlock()
	if a, ok := d.shared.analyses[key].(*analysis[R]); ok {
		return a
	}
	a := newAnalysis(d, src, analyze, requires...)
	d.shared.analyses[key] = a
	return a
}

// version is the generation get would serve now: the last analysed one
// while a newer one waits for minInterval, so the scrape cache keeps
// serving the last output meanwhile.
func (a *analysis[R]) version() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	gen := a.src.Generation()
	if a.debounced(gen) {
		return a.gen
	}
	return gen
}

func (a *analysis[R]) debounced(gen uint64) bool {
	return a.valid && gen != a.gen && a.now().Sub(a.at) < a.minInterval
}

// get returns the result for the current snapshot. The generation is read
// before the snapshot, so a change racing with the analysis only causes one
// extra run later, never a stale result kept forever.
func (a *analysis[R]) get() (R, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	gen := a.src.Generation()
	if a.valid && (gen == a.gen || a.debounced(gen)) {
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
	// The old result goes first: callers that still hold it keep it, and
	// otherwise the collector need not hold two results at once.
	var zero R
	a.result, a.valid = zero, false
	a.result, a.gen, a.at, a.valid = a.analyze(snap), gen, a.now(), true
	return a.result, nil
}
