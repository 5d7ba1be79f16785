package apitransport

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
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
// the handler. While a watch stream is open its cache is current, so the
// time a cache was last known current is now, or when its last watch
// ended: its age is how stale the exporter's picture of it is.
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
	// failingSince is when the current run of failures began; lastLog,
	// when it was last logged.
	failingSince, lastLog time.Time
	// watches open now, and when the latest of them is due to end: a
	// watch the server was asked to end by then and that is still open
	// is a hung connection, not a current cache.
	watches  int
	watchEnd time.Time
}

// watchGrace is how long past its requested timeout an open watch still
// counts: the server ends it at the timeout, give or take its clock.
const watchGrace = 30 * time.Second

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

// WrapHeldTransport is WrapTransport with the requests held by g while the
// API server is unreachable or refusing them: for informers' clients,
// whose requests have no deadline. Every attempt that failed while held
// is counted, and logged once per outage; at debug only if quiet (Helm's
// storages, whose role is optional).
func (a *Activity) WrapHeldTransport(g *Gate, quiet bool) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper {
		held := g.Wrap(rt, func(key, why string) { a.failed(key, why, quiet) })
		return activityTransport{a: a, next: held, quiet: quiet}
	}
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
	case resp.StatusCode == http.StatusOK && isWatch(req.URL):
		// A watch succeeds when its stream opens, and keeps the cache
		// current for as long as it stays open.
		t.a.succeeded(key)
		resp.Body = t.a.watchOpened(key, req.URL)(resp.Body)
	case resp.StatusCode == http.StatusOK:
		// A list, when its (possibly paged) response is 200.
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

// stillFailingEvery is how often a collection that keeps failing is
// logged again: an outage of hours leaves a line every few minutes, not
// one per retry, and a reader of the log sees it has not ended.
const stillFailingEvery = 5 * time.Minute

func (a *Activity) failed(key, why string, quiet bool) {
	a.mu.Lock()
	st := a.entry(key)
	st.errors++
	now := a.now()
	first := !st.failing
	if first {
		st.failing, st.failingSince, st.lastLog = true, now, now
	}
	again := !first && now.Sub(st.lastLog) >= stillFailingEvery
	if again {
		st.lastLog = now
	}
	since, errs := st.failingSince, st.errors
	a.mu.Unlock()
	level := slog.LevelWarn
	if quiet {
		level = slog.LevelDebug
	}
	switch {
	case first:
		a.logger.Log(context.Background(), level, "list or watch failed; retrying with backoff", "collection", key, "err", why)
	case again:
		a.logger.Log(context.Background(), level, "list or watch still failing", "collection", key, "err", why,
			"failing_for_seconds", now.Sub(since).Round(time.Second).Seconds(), "errors", errs)
	}
}

// Succeeded records a successful list or watch of gvr, for clients without
// a transport (the demo's).
func (a *Activity) Succeeded(gvr schema.GroupVersionResource, labelSelector, fieldSelector string) {
	a.succeeded(Collection(gvr, labelSelector, fieldSelector))
}

// isWatch reports whether u asks for a watch stream (a streaming list
// included).
func isWatch(u *url.URL) bool {
	w := u.Query().Get("watch")
	return w == "true" || w == "1"
}

// watchOpened counts an open watch of key until its body is closed or
// fails, and returns the wrapper of that body.
func (a *Activity) watchOpened(key string, u *url.URL) func(io.ReadCloser) io.ReadCloser {
	now := a.now()
	// client-go asks for 5 to 10 minutes; without a timeout the server
	// picks one of up to an hour (its --min-request-timeout, doubled).
	end := now.Add(time.Hour)
	if s, err := strconv.Atoi(u.Query().Get("timeoutSeconds")); err == nil && s > 0 {
		end = now.Add(time.Duration(s) * time.Second)
	}
	end = end.Add(watchGrace)
	a.mu.Lock()
	st := a.entry(key)
	st.watches++
	st.watchEnd = later(st.watchEnd, end)
	a.mu.Unlock()
	return func(body io.ReadCloser) io.ReadCloser {
		return &watchBody{ReadCloser: body, closed: func() { a.watchClosed(key) }}
	}
}

func (a *Activity) watchClosed(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.entry(key)
	st.watches--
	// The cache was current up to this moment.
	st.last = later(st.last, a.now())
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// watchBody tells once when its watch ends: closed by the reader, or
// broken (the server gone, the connection reset).
type watchBody struct {
	io.ReadCloser
	once   sync.Once
	closed func()
}

func (b *watchBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.closed)
	}
	return n, err
}

func (b *watchBody) Close() error {
	b.once.Do(b.closed)
	return b.ReadCloser.Close()
}

// Last is when the cache of collection (see collection) was last known
// current: now while one of its watches is open, else when its last list
// or watch succeeded or its last watch ended; false if never.
func (a *Activity) Last(collection string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.state[collection]
	if st == nil {
		return time.Time{}, false
	}
	if now := a.now(); st.watches > 0 && now.Before(st.watchEnd) {
		return now, true
	}
	if st.last.IsZero() {
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

// Collection names the cluster-wide collection an informer lists and
// watches, as its requests ask for it: path and selectors. Activity keys
// what it records by it.
func Collection(gvr schema.GroupVersionResource, labelSelector, fieldSelector string) string {
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
