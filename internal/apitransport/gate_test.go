package apitransport

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flaky answers every request with what mode says, and counts them.
type flaky struct {
	mode  atomic.Value // "refuse", "429", "ok"
	calls atomic.Int64
	per   sync.Map // path → *atomic.Int64
}

func (f *flaky) RoundTrip(req *http.Request) (*http.Response, error) {
	f.calls.Add(1)
	n, _ := f.per.LoadOrStore(req.URL.Path, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	switch f.mode.Load().(string) {
	case "refuse":
		return nil, errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
	case "429":
		h := http.Header{}
		h.Set("Retry-After", "1")
		return &http.Response{StatusCode: 429, Status: "429 Too Many Requests", Header: h, Body: http.NoBody}, nil
	case "503":
		if req.URL.Path == "/api/v1/pods" || req.URL.Path == "/api/v1/nodes" {
			h := http.Header{}
			h.Set("Retry-After", "1")
			return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: h, Body: http.NoBody}, nil
		}
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Body: http.NoBody}, nil
}

func get(t *testing.T, ctx context.Context, rt http.RoundTripper, rawURL string) (*http.Response, error) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	req := (&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}).WithContext(ctx)
	return rt.RoundTrip(req)
}

// While the server is unreachable, twenty informers' requests are held
// and one probe per interval goes out, not one per informer; when it is
// back, every held request is answered within one interval.
func TestGateHoldsRequestsWhileServerUnreachable(t *testing.T) {
	backend := &flaky{}
	backend.mode.Store("refuse")
	var failures atomic.Int64
	g := NewGate(50*time.Millisecond, 200*time.Millisecond)
	rt := g.Wrap(backend, func(string, string) { failures.Add(1) })

	const informers = 20
	done := make(chan time.Time, informers)
	for i := range informers {
		go func() {
			resp, err := get(t, context.Background(), rt, "https://h/apis/g/v1/r"+string(rune('a'+i))+"?watch=true")
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("held request ended with %v %v", resp, err)
			}
			done <- time.Now()
		}()
	}
	time.Sleep(2 * time.Second)
	sent := backend.calls.Load()
	// Probes every 100–200 ms once the wait is at its cap: 10–20 in 2 s,
	// plus the first attempts of those that started before the gate
	// closed (at most all 20).
	if sent > informers+25 {
		t.Errorf("%d requests in 2 s of outage from %d informers: not held", sent, informers)
	}
	if sent < 9 {
		t.Errorf("%d requests in 2 s of outage: the gate stopped probing", sent)
	}
	if failures.Load() != sent {
		t.Errorf("%d failures reported, %d sent", failures.Load(), sent)
	}
	back := time.Now()
	backend.mode.Store("ok")
	for range informers {
		select {
		case at := <-done:
			if d := at.Sub(back); d > 300*time.Millisecond {
				t.Errorf("request answered %v after the server was back; the cap is 200 ms", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("held requests not answered after the server came back")
		}
	}
	t.Logf("%d requests sent in 2 s of outage by %d informers", sent, informers)
}

// A collection unavailable on its own (503, Retry-After 1) waits at least
// the server's Retry-After between attempts and holds back nothing else.
func TestGateHoldsOnlyTheUnavailableCollection(t *testing.T) {
	backend := &flaky{}
	backend.mode.Store("503")
	g := NewGate(10*time.Millisecond, 50*time.Millisecond)
	rt := g.Wrap(backend, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for _, path := range []string{"/api/v1/pods", "/api/v1/nodes"} {
		wg.Go(func() {
			if _, err := get(t, ctx, rt, "https://h"+path); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: %v, want held until the deadline", path, err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	for range 20 {
		resp, err := get(t, context.Background(), rt, "https://h/apis/apps/v1/deployments")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("deployments: %v %v", resp, err)
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("20 requests of a healthy collection took %v: held by another's refusals", d)
	}
	wg.Wait()
	for _, path := range []string{"/api/v1/pods", "/api/v1/nodes"} {
		n, _ := backend.per.Load(path)
		// t=0, then Retry-After (1 s) each: 3 in 2.5 s.
		if got := n.(*atomic.Int64).Load(); got != 3 {
			t.Errorf("%s: %d attempts in 2.5 s with Retry-After 1, want 3", path, got)
		}
	}
}

// Other methods, non-API paths and final answers (403) go through once,
// untouched.
func TestGatePassesWhatItMustNotRetry(t *testing.T) {
	backend := &flaky{}
	backend.mode.Store("refuse")
	rt := NewGate(time.Second, time.Second).Wrap(backend, nil)
	u, _ := url.Parse("https://h/api/v1/pods")
	if _, err := rt.RoundTrip(&http.Request{Method: http.MethodPost, URL: u, Header: http.Header{}}); err == nil {
		t.Error("POST: error swallowed")
	}
	if _, err := get(t, context.Background(), rt, "https://h/metrics"); err == nil {
		t.Error("/metrics: error swallowed")
	}
	if n := backend.calls.Load(); n != 2 {
		t.Errorf("%d attempts, want 2 (each once)", n)
	}
	forbidden := NewGate(time.Second, time.Second).Wrap(status(403), nil)
	resp, err := get(t, context.Background(), forbidden, "https://h/api/v1/secrets")
	if err != nil || resp.StatusCode != 403 {
		t.Errorf("403 not passed on: %v %v", resp, err)
	}
}

// A held request whose caller gives up returns at once with its context's
// error.
func TestGateReleasesCancelledRequests(t *testing.T) {
	backend := &flaky{}
	backend.mode.Store("refuse")
	rt := NewGate(time.Hour, time.Hour).Wrap(backend, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := get(t, ctx, rt, "https://h/api/v1/pods?watch=true")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("cancelled request still held")
	}
}

func TestGateWaitDoublesToItsCap(t *testing.T) {
	g := NewGate(time.Second, 8*time.Second)
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 30: 8 * time.Second} {
		for range 100 {
			if d := g.wait(n); d < want/2 || d > want {
				t.Fatalf("wait(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}

// Refused by priority and fairness (429, Retry-After 1), twenty informers
// send one request a second between them, not one each.
func TestGateTooManyRequestsHoldsEveryCollection(t *testing.T) {
	backend := &flaky{}
	backend.mode.Store("429")
	g := NewGate(10*time.Millisecond, 50*time.Millisecond)
	rt := g.Wrap(backend, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := get(t, ctx, rt, "https://h/apis/g/v1/r"+string(rune('a'+i)))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%v, want held until the deadline", err)
			}
		})
	}
	wg.Wait()
	// The first attempts of those that started before the gate closed,
	// then one at t≈1, 2, 3 s.
	if n := backend.calls.Load(); n > 20+3 || n < 4 {
		t.Errorf("%d requests in 3.5 s of 429s with Retry-After 1 from 20 informers, want one a second", n)
	}
}
