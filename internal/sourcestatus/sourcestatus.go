package sourcestatus

import (
	"errors"
	"time"
)

// ErrNotSynced is returned by a source whose caches have not finished their
// first list: its snapshot would be incomplete, and an incomplete snapshot
// produces wrong numbers (a workload with 0 of its pods looks "packed").
var ErrNotSynced = errors.New("cluster caches not synced yet")

// ErrNoData marks a source with nothing to report by design: an optional
// feature absent or not configured, or not read yet. It is not a failure.
var ErrNoData = errors.New("no data")

// Resource is the health of one watched resource of a source.
type Resource struct {
	Source   string // "kubernetes"
	Resource string // "pods", "nodes", …
	Synced   bool
	// Errors counts list/watch failures since start.
	Errors uint64
	// Collection names what the informer lists and watches (path and
	// selectors), for the time of its last success to be looked up.
	Collection string
	// LastSuccess is when a list or watch last succeeded; zero if never
	// or not known.
	LastSuccess time.Time
}

// Reporter is implemented by sources that watch resources.
type Reporter interface {
	Status() []Resource
}
