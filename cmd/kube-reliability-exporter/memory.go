package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/exepages"
)

// How each mode keeps its memory near its live heap (internal/memlimit).

// agentGCPercent is the agent's GOGC unless the environment sets one. Its
// live heap is 2-3 MB: at Go's default (100) the heap doubles before each
// collection, 2 MiB more on every node; at 50 the agent stays under
// 25 MiB RSS for the same CPU during a reload storm
// (bench/agent-cost.txt: it allocates little, so collections are cheap).
const agentGCPercent = 50

// centralGCPercent is central's GOGC once its caches are synced, unless
// the environment sets one. Its live heap is mostly the informer caches
// (~135 MB at 150,000 pods), and Go's default (100) lets the heap grow to
// twice that between collections: RSS ~2.5 times the live heap. At 25
// the heap stays within a quarter of the live set for ~1.5 times the CPU
// while the cluster churns (bench/scale).
const centralGCPercent = 25

// startupGCPercent is central's GOGC until its caches are synced. The
// initial lists allocate ~25 times what the caches keep (whole objects
// decoded, then trimmed): at 25 the collector would mark the growing
// caches four times per byte decoded, and start-up would take 1.7-2.1 times as
// long; at 50 it is ~1.4 times Go's default for a 20 % lower peak.
const startupGCPercent = 50

// releaseAfterBytes is how much central's analyses allocate before the
// memory they freed is handed back at once (memlimit.Releaser): at
// 150,000 pods one round of analyses allocates ~400 MB.
const releaseAfterBytes = 64 << 20

// liveLimitRatio is central's soft memory limit as a multiple of its live
// heap (memlimit.LiveLimit), and liveLimitFloor the least: an analysis
// round may then add at most as much as the caches hold before the
// collector works harder and returns free pages at once. At 150,000 pods
// (bench/scale, short phases): 2 lowered the first scrapes' peak from 308
// to 273 MiB for the same CPU; 1.6 kept every peak under 291 MiB but
// took 10.5 s of CPU per minute of churn instead of 7.2 and made scrapes
// during churn 1.5 s instead of 0.95.
const (
	liveLimitRatio = 2.0
	liveLimitFloor = 96 << 20
)

// releaseExecutablePages drops the binary's pages that start-up or the
// last burst of work touched (exepages): what runs again comes back from
// the page cache on its next touch. Central calls it once synced and
// after each release of the heap.
func releaseExecutablePages(logger *slog.Logger) {
	released, err := exepages.Release()
	if err != nil {
		logger.Warn("could not release the executable's pages", "err", err)
		return
	}
	logger.Debug("released the executable's pages", "bytes", released)
}

// The agent releases the binary's pages agentPagesAfter its start (its
// first samples and scrapes have run by then) and every agentPagesEvery
// after: it has no bursts to follow.
const (
	agentPagesAfter = 30 * time.Second
	agentPagesEvery = 10 * time.Minute
)

func releaseExecutablePagesEvery(ctx context.Context, logger *slog.Logger, after, every time.Duration) {
	t := time.NewTimer(after)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			releaseExecutablePages(logger)
			t.Reset(every)
		}
	}
}
