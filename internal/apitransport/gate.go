package apitransport

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Gate holds the informers' list and watch requests while the API server
// is unreachable or refusing them, and lets one request at a time through
// to find out when it is back.
//
// Why not leave it to client-go: each reflector backs off on its own, from
// 0.8 s to a 30 s cap plus up to 100 % jitter, and a SharedInformer does
// not let the backoff be set. After an outage of a minute every informer
// waited up to a minute more before trying again (42 s measured), and while
// the API server was overloaded every informer (and the REST client's own
// 429 retries) kept asking. Held here instead, a reflector never sees the
// outage: its request is answered as soon as a probe gets through, and
// meanwhile the process sends one request per interval while the server is
// unreachable, one per refused collection and interval while it refuses.
//
// Two kinds of state: the server's (a request that got no response:
// refused, reset, timed out; or 429, priority and fairness refusing this
// client whatever it asks) and each collection's (502, 503, 504: an
// aggregated API or a proxy unavailable). A collection unavailable on its
// own holds back only itself. Retry-After is honoured.
type Gate struct {
	// Min and Max bound the wait between probes: it starts at Min and
	// doubles per failed probe up to Max, each wait drawn from its upper
	// half so that many clients (one agent per node) do not come back in
	// step.
	Min, Max time.Duration

	mu    sync.Mutex
	state map[string]*gateState
}

// serverKey is the state of the API server itself; collections are keyed
// by collection(), which never starts with a space.
const serverKey = " server"

type gateState struct {
	failures int       // consecutive failed probes; 0 while open
	next     time.Time // no probe before
	probing  bool      // a probe is in flight
	changed  chan struct{}
}

// NewGate returns an open gate with the given probe interval bounds.
func NewGate(minWait, maxWait time.Duration) *Gate {
	return &Gate{Min: minWait, Max: maxWait, state: map[string]*gateState{}}
}

// Wrap holds rt's list and watch requests through g. Only GETs of API
// paths are held: nothing else is retried. failed, if not nil, is told of
// every failed attempt, with the request's collection and why.
func (g *Gate) Wrap(rt http.RoundTripper, failed func(collection, why string)) http.RoundTripper {
	return gateTransport{g: g, next: rt, failed: failed}
}

type gateTransport struct {
	g      *Gate
	next   http.RoundTripper
	failed func(collection, why string)
}

func (t gateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key, ok := requestCollection(req.URL)
	if req.Method != http.MethodGet || req.Body != nil && req.Body != http.NoBody || !ok {
		return t.next.RoundTrip(req)
	}
	ctx := req.Context()
	for {
		// The collection first: a request waiting for its collection's
		// turn must not hold the server's probe meanwhile.
		collectionProbe, err := t.g.acquire(ctx, key)
		if err != nil {
			return nil, err
		}
		serverProbe, err := t.g.acquire(ctx, serverKey)
		if err != nil {
			t.g.release(key, collectionProbe)
			return nil, err
		}
		resp, err := t.next.RoundTrip(req)
		switch {
		case err != nil && ctx.Err() != nil:
			t.g.release(serverKey, serverProbe)
			t.g.release(key, collectionProbe)
			return resp, err
		case err != nil:
			// No response: the server is down or unreachable, whatever
			// the collection.
			t.g.release(key, collectionProbe)
			t.g.failed(serverKey, serverProbe, 0)
			t.report(key, err.Error())
			continue
		case resp.StatusCode == http.StatusTooManyRequests:
			// Priority and fairness refuses this client, whatever it asks
			// for: every collection waits.
			t.g.release(key, collectionProbe)
			t.g.failed(serverKey, serverProbe, retryAfter(resp))
			t.report(key, resp.Status)
			drain(resp)
			continue
		case retryLater(resp.StatusCode):
			t.g.succeeded(serverKey, serverProbe)
			t.g.failed(key, collectionProbe, retryAfter(resp))
			t.report(key, resp.Status)
			drain(resp)
			continue
		default:
			// Any other answer, an error too (403, 404), is the caller's:
			// waiting would not change it.
			t.g.succeeded(serverKey, serverProbe)
			t.g.succeeded(key, collectionProbe)
			return resp, nil
		}
	}
}

// drain reads a refusal's body (bounded) and closes it, so that its
// connection is reused for the retry.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// retryLater reports whether a status (other than 429) means "not now"
// for one collection: an aggregated API or a proxy in front of a server
// that is unavailable, starting or shutting down.
func retryLater(code int) bool {
	switch code {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter is the response's Retry-After in seconds (the only form the
// API server sends), bounded to 10 minutes; 0 if absent or malformed.
func retryAfter(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(min(s, 600)) * time.Second
}

func (g *Gate) entry(key string) *gateState {
	st := g.state[key]
	if st == nil {
		st = &gateState{changed: make(chan struct{})}
		g.state[key] = st
	}
	return st
}

// notify wakes every request waiting on st; the caller holds g.mu.
func (st *gateState) notify() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// acquire returns when key is open (probe false) or when it is this
// request's turn to probe it (probe true), or with ctx's error.
func (g *Gate) acquire(ctx context.Context, key string) (probe bool, err error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		g.mu.Lock()
		st := g.entry(key)
		if st.failures == 0 {
			g.mu.Unlock()
			return false, nil
		}
		wait := time.Duration(-1)
		if !st.probing {
			if wait = time.Until(st.next); wait <= 0 {
				st.probing = true
				g.mu.Unlock()
				return true, nil
			}
		}
		changed := st.changed
		g.mu.Unlock()
		var due <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			due = timer.C
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-changed:
		case <-due:
		}
	}
}

// release ends a probe without a verdict on key.
func (g *Gate) release(key string, probe bool) {
	if !probe {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.entry(key)
	st.probing = false
	st.notify()
}

func (g *Gate) succeeded(key string, probe bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.entry(key)
	if !probe && st.failures == 0 {
		return
	}
	st.probing = false
	st.failures = 0
	st.notify()
}

// failed closes key, or keeps it closed for longer after a failed probe.
// Requests that were already under way when it closed do not lengthen
// the wait: only probes do.
func (g *Gate) failed(key string, probe bool, atLeast time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.entry(key)
	if !probe && st.failures > 0 {
		return
	}
	st.probing = false
	st.failures++
	st.next = time.Now().Add(max(g.wait(st.failures), atLeast))
	st.notify()
}

// wait is the pause after the n-th consecutive failed probe: Min doubled
// n-1 times, capped at Max, drawn from its upper half.
func (g *Gate) wait(n int) time.Duration {
	d := g.Min
	for i := 1; i < n && d < g.Max; i++ {
		d *= 2
	}
	d = min(d, g.Max)
	return d/2 + rand.N(d/2+1)
}

func (t gateTransport) report(key, why string) {
	if t.failed != nil {
		t.failed(key, why)
	}
}
