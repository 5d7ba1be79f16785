package kube

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Activity records, per collection an informer lists and watches, when a
// list or watch request last succeeded and how many failed, from the
// responses on the API client's transport. Every informer (typed,
// metadata-only, dynamic) goes through that transport, so one recorder
// covers them all, and it sees what the informers' own error handlers do
// not: client-go retries a failing streaming list (WatchList) inside the
// reflector, so an unreachable or overloaded API server never reaches
// the handler. A healthy informer re-watches at least every 10 minutes
// (client-go's watch timeout), so an old success is a stuck informer.
type Activity struct {
	now    func() time.Time
	logger *slog.Logger
	mu     sync.Mutex
	state  map[string]*collectionState
}

type collectionState struct {
	last    time.Time
	errors  uint64
	failing bool
}

// NewActivity returns an empty recorder; logger says when a collection's
// requests start failing and when they recover (once each, not per retry).
func NewActivity(logger *slog.Logger) *Activity {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Activity{now: time.Now, logger: logger, state: map[string]*collectionState{}}
}

// WrapTransport records through rt; it fits rest.Config.Wrap.
func (a *Activity) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	return activityTransport{a: a, next: rt}
}

// WrapQuietTransport is WrapTransport for clients whose failures are
// expected (Helm's storages, whose role is optional): they are counted,
// and logged at debug only.
func (a *Activity) WrapQuietTransport(rt http.RoundTripper) http.RoundTripper {
	return activityTransport{a: a, next: rt, quiet: true}
}

type activityTransport struct {
	a     *Activity
	next  http.RoundTripper
	quiet bool
}

func (t activityTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if req.Method != http.MethodGet {
		return resp, err
	}
	key, ok := requestCollection(req.URL)
	if !ok {
		return resp, err
	}
	switch {
	case err != nil:
		// The exporter shutting down is not a failure.
		if req.Context().Err() == nil {
			t.a.failed(key, err.Error(), t.quiet)
		}
	case resp.StatusCode == http.StatusOK:
		// A watch succeeds when its stream opens; a list, when its (possibly
		// paged) response is 200.
		t.a.succeeded(key)
	case resp.StatusCode == http.StatusGone:
		// "Too old resource version": the informer re-lists, as designed.
	case resp.StatusCode >= 400:
		t.a.failed(key, resp.Status, t.quiet)
	}
	return resp, err
}

func (a *Activity) entry(key string) *collectionState {
	st := a.state[key]
	if st == nil {
		st = &collectionState{}
		a.state[key] = st
	}
	return st
}

func (a *Activity) succeeded(key string) {
	a.mu.Lock()
	st := a.entry(key)
	st.last = a.now()
	recovered := st.failing
	st.failing = false
	a.mu.Unlock()
	if recovered {
		a.logger.Info("list or watch succeeds again", "collection", key)
	}
}

func (a *Activity) failed(key, why string, quiet bool) {
	a.mu.Lock()
	st := a.entry(key)
	st.errors++
	first := !st.failing
	st.failing = true
	a.mu.Unlock()
	switch {
	case first && quiet:
		a.logger.Debug("list or watch failed; retrying with backoff", "collection", key, "err", why)
	case first:
		a.logger.Warn("list or watch failed; retrying with backoff", "collection", key, "err", why)
	}
}

// Succeeded records a successful list or watch of gvr, for clients without
// a transport (the demo's).
func (a *Activity) Succeeded(gvr schema.GroupVersionResource, labelSelector, fieldSelector string) {
	a.succeeded(collection(gvr, labelSelector, fieldSelector))
}

// Last is when a list or watch of collection (see collection) last
// succeeded; false if never.
func (a *Activity) Last(collection string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.state[collection]
	if st == nil || st.last.IsZero() {
		return time.Time{}, false
	}
	return st.last, true
}

// Errors counts the failed list and watch requests of collection.
func (a *Activity) Errors(collection string) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if st := a.state[collection]; st != nil {
		return st.errors
	}
	return 0
}

// collection names the cluster-wide collection an informer lists and
// watches, as its requests ask for it: path and selectors.
func collection(gvr schema.GroupVersionResource, labelSelector, fieldSelector string) string {
	path := "/apis/" + gvr.Group + "/" + gvr.Version + "/" + gvr.Resource
	if gvr.Group == "" {
		path = "/api/" + gvr.Version + "/" + gvr.Resource
	}
	return path + "?" + labelSelector + "&" + fieldSelector
}

// requestCollection is collection for a request, if it lists or watches
// a cluster-wide collection. A server URL with a path prefix (a proxy)
// is skipped to the API root.
func requestCollection(u *url.URL) (string, bool) {
	path := u.Path
	i := strings.Index(path, "/api/")
	if j := strings.Index(path, "/apis/"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return "", false
	}
	q := u.Query()
	return path[i:] + "?" + q.Get("labelSelector") + "&" + q.Get("fieldSelector"), true
}
