package kube

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/apitransport"
	"github.com/kube-reliability/kube-reliability-exporter/internal/sourcestatus"
)

// watch is the one plumbing every informer goes through, typed,
// metadata-only or dynamic: its list and watch errors are logged once
// (client-go's default handler would log them again through klog), and
// its sync state is reported the same way for all. Failures are counted
// by Activity, on the transport, where the client's retries are seen too.
type watch struct {
	source, resource string
	collection       string
	informer         cache.SharedIndexInformer
}

// newWatch installs the error handler on inf. collection is what it lists
// and watches (see collection).
func newWatch(source, resource, collection string, inf cache.SharedIndexInformer, logger *slog.Logger) (*watch, error) {
	w := &watch{source: source, resource: resource, collection: collection, informer: inf}
	log := logger.With("kind", resource)
	err := inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		// A watch closing normally, or expiring and resuming from a fresh
		// list, is how watches work, not an error.
		if errors.Is(err, io.EOF) || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			log.Debug("watch closed, resuming", "err", err)
			return
		}
		// Failed requests are counted, and logged once per outage, by
		// Activity.
		log.Debug("list or watch failed", "err", err)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func (w *watch) status() sourcestatus.Resource {
	return sourcestatus.Resource{Source: w.source, Resource: w.resource, Collection: w.collection,
		Synced: w.informer.HasSynced()}
}

// Watches reports the status of every informer of the process, whichever
// part started it (core informers, Helm storages, Gateway API), so that
// kube_reliability_informer_synced and kube_reliability_source_errors_total
// cover them all.
type Watches struct {
	// Activity tells when each informer's list or watch last succeeded
	// and counts its failed requests (its client's transport must be
	// wrapped by it); without it neither is known, and both read zero.
	Activity *apitransport.Activity

	mu    sync.Mutex
	parts []sourcestatus.Reporter
}

// Add registers a part; parts that start informers later (Gateway API
// once its CRDs appear) report them from then on.
func (w *Watches) Add(r sourcestatus.Reporter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.parts = append(w.parts, r)
}

// Status lists every registered part's resources.
func (w *Watches) Status() []sourcestatus.Resource {
	w.mu.Lock()
	parts := w.parts
	w.mu.Unlock()
	var out []sourcestatus.Resource
	for _, p := range parts {
		out = append(out, p.Status()...)
	}
	if w.Activity != nil {
		// The transport sees every failed request, retries included (the
		// informers' handlers see only those the reflector gives up on).
		for i := range out {
			out[i].LastSuccess, _ = w.Activity.Last(out[i].Collection)
			out[i].Errors = w.Activity.Errors(out[i].Collection)
		}
	}
	return out
}
