package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
)

type nothing struct{}

func (nothing) Scrape(_ io.Writer, _ bool, begin func(bool) error) error { return begin(false) }

// fixed writes one sample, gzipped as a member of its own when the client
// accepts it (and plain declines it although accepted); the first call
// signals entered and waits for release.
type fixed struct {
	entered, release chan struct{}
	first            *sync.Once
	plain            bool
}

func (f fixed) Scrape(w io.Writer, acceptGzip bool, begin func(bool) error) error {
	f.first.Do(func() {
		close(f.entered)
		<-f.release
	})
	gzipped := acceptGzip && !f.plain
	if err := begin(gzipped); err != nil {
		return err
	}
	if !gzipped {
		_, err := io.WriteString(w, "kube_reliability_x 1\n")
		return err
	}
	zw := gzip.NewWriter(w)
	if _, err := io.WriteString(zw, "kube_reliability_x 1\n"); err != nil {
		return err
	}
	return zw.Close()
}

// /metrics serves the exporter's own metrics and then the collectors',
// plain or gzipped (a series of gzip members that decodes as one text),
// and refuses scrapes beyond the in-flight limit.
func TestMetrics(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	h, err := Handler(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mode: "test",
		Collectors: fixed{entered, release, &sync.Once{}, false}, MaxRequestsInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(gz bool) (int, string, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Error(err)
			return 0, "", ""
		}
		defer resp.Body.Close()
		var body io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Error(err)
				return 0, "", ""
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Error(err)
		}
		return resp.StatusCode, resp.Header.Get("Content-Encoding"), string(b)
	}
	first := make(chan string, 1)
	go func() { _, _, body := get(true); first <- body }()
	// The first scrape holds the only slot until released.
	<-entered
	if code, _, _ := get(false); code != http.StatusServiceUnavailable {
		t.Errorf("second concurrent scrape = %d, want 503", code)
	}
	close(release)
	gzBody := <-first
	code, enc, plain := get(false)
	if code != http.StatusOK || enc != "" {
		t.Fatalf("plain scrape = %d, encoding %q", code, enc)
	}
	for _, body := range []string{gzBody, plain} {
		if !strings.Contains(body, "kube_reliability_build_info{") || !strings.HasSuffix(body, "\nkube_reliability_x 1\n") {
			t.Errorf("body:\n%s", body)
		}
	}
	if gzBody != plain {
		t.Errorf("gzipped body differs from plain:\n%s\n---\n%s", gzBody, plain)
	}
	if !acceptsGzip("deflate, gzip;q=1.0, *;q=0.5") || acceptsGzip("gzip;q=0") || acceptsGzip("identity") {
		t.Error("Accept-Encoding parsing")
	}
}

// An exposer that declines gzip (too small to be worth it) is served
// plain, without Content-Encoding, to a client that accepts gzip.
func TestMetricsPlainWhenGzipDeclined(t *testing.T) {
	t.Parallel()
	h, err := Handler(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mode: "test",
		Collectors: fixed{make(chan struct{}), closedChan(), &sync.Once{}, true}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if enc := rec.Header().Get("Content-Encoding"); enc != "" {
		t.Errorf("Content-Encoding %q, want none", enc)
	}
	if body := rec.Body.String(); !strings.Contains(body, "kube_reliability_build_info{") || !strings.HasSuffix(body, "\nkube_reliability_x 1\n") {
		t.Errorf("body:\n%s", body)
	}
}

// /readyz follows the readiness function; /healthz never does: a liveness
// probe that checked dependencies would restart the exporter whenever the
// API server is slow (the seed's restart-loop lesson).
func TestReadyzAndHealthz(t *testing.T) {
	t.Parallel()
	var ready atomic.Bool
	h, err := Handler(Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mode: "test", Collectors: nothing{},
		MaxRequestsInFlight: 1,
		Ready: func() error {
			if !ready.Load() {
				return errors.New("caches not synced")
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h, "", slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	code := func(path string) int {
		resp, err := http.Get("http://" + l.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := code("/readyz"); c != http.StatusServiceUnavailable {
		t.Errorf("/readyz before sync = %d, want 503", c)
	}
	if c := code("/healthz"); c != http.StatusOK {
		t.Errorf("/healthz before sync = %d, want 200", c)
	}
	ready.Store(true)
	if c := code("/readyz"); c != http.StatusOK {
		t.Errorf("/readyz after sync = %d, want 200", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
}

func TestServeRejectsBadWebConfig(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = Serve(context.Background(), l, http.NotFoundHandler(), "/nonexistent/web.yml", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatal("a missing web config file was accepted")
	}
}

// /debug/pprof is served only when asked for.
func TestPprof(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{false, true} {
		h, err := Handler(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mode: "test", Collectors: nothing{}, Pprof: on})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/heap", nil))
		served := rec.Code == http.StatusOK && rec.Header().Get("Content-Type") == "application/octet-stream"
		if served != on {
			t.Errorf("pprof %t: /debug/pprof/heap = %d %q", on, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}

type fakeHypotheses map[string]*bool

func (f fakeHypotheses) All() []collector.Answer {
	var out []collector.Answer
	for _, n := range []string{"holds", "broken", "unknown"} {
		a, _ := f.Get(n)
		out = append(out, a)
	}
	return out
}

func (f fakeHypotheses) Get(name string) (collector.Answer, bool) {
	h, ok := f[name]
	if !ok {
		return collector.Answer{}, false
	}
	a := collector.Answer{Name: name, Holds: h, Evidence: []string{}}
	if h == nil {
		a.Reason = "caches not synced"
	}
	return a, true
}

// The HTTP contract chaos tools rely on: 200 when a hypothesis holds, 503
// when it does not and when it is not known (never a pass), 404 for no
// such hypothesis, Content-Type exactly application/json.
func TestHypothesesEndpoint(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	h, err := Handler(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Mode: "test",
		Collectors: fixed{make(chan struct{}, 1), closedChan(), &sync.Once{}, false}, MaxRequestsInFlight: 1,
		Hypotheses: fakeHypotheses{"holds": &yes, "broken": &no, "unknown": nil}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for path, want := range map[string]int{
		"/hypotheses": 200, "/hypotheses/holds": 200, "/hypotheses/broken": 503, "/hypotheses/unknown": 503, "/hypotheses/nope": 404,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d, want %d: %s", path, resp.StatusCode, want, body)
		}
		if want != 404 && resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s Content-Type %q, want exactly application/json", path, resp.Header.Get("Content-Type"))
		}
		if path == "/hypotheses/unknown" && !strings.Contains(string(body), `"holds":null`) {
			t.Errorf("unknown answer %s: want holds null", body)
		}
	}
	// The go/no-go: 200 only when every hypothesis asked for holds.
	for _, tt := range []struct {
		query            string
		code             int
		failing, unknown string
	}{
		{"all", 503, "broken", "unknown"},
		{"require=holds", 200, "", ""},
		{"require=holds,broken", 503, "broken", ""},
		{"require=holds&require=unknown", 503, "", "unknown"},
		{"require=holds,nope", 404, "", ""},
		{"require=", 503, "", ""}, // nothing asked for: no go
	} {
		resp, err := http.Get(srv.URL + "/hypotheses?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("?%s = %d, want %d: %s", tt.query, resp.StatusCode, tt.code, body)
			continue
		}
		if tt.code == 404 {
			if !strings.Contains(string(body), "nope") {
				t.Errorf("?%s: 404 body %q does not name the missing hypothesis", tt.query, body)
			}
			continue
		}
		var v Verdict
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("?%s: %v: %s", tt.query, err, body)
		}
		if v.Holds != (tt.code == 200) || strings.Join(v.Failing, ",") != tt.failing || strings.Join(v.Unknown, ",") != tt.unknown {
			t.Errorf("?%s: %+v, want failing %q unknown %q", tt.query, v, tt.failing, tt.unknown)
		}
	}
	// The landing page links every endpoint and the docs.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, link := range []string{`href="/metrics"`, `href="/healthz"`, `href="/readyz"`, `href="/hypotheses"`, `href="` + DocsURL + `"`} {
		if !strings.Contains(string(body), link) {
			t.Errorf("landing page lacks %s", link)
		}
	}
	if strings.Contains(string(body), "debug/pprof") {
		t.Error("landing page links profiles that are not served")
	}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
