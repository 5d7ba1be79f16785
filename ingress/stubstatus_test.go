package ingress

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStubStatus(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]StubStatus{
		"testdata/stub_status":      {Active: 1, Writing: 1, Accepted: 1, Handled: 1, Requests: 1},
		"testdata/stub_status_busy": {Active: 291, Reading: 6, Writing: 179, Waiting: 106, Accepted: 16630948, Handled: 16630948, Requests: 31070465},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseStubStatus(bytes.NewReader(b))
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", file, got, err, want)
		}
	}
	for _, bad := range []string{
		"",
		"<html><body>502 Bad Gateway</body></html>",
		"Active connections: 1\nserver accepts handled requests\n 1 1 1\n",                                    // truncated
		"Active connections: -1\nserver accepts handled requests\n 1 1 1\nReading: 0 Writing: 1 Waiting: 0\n", // negative
		"Active connections: 1\nserver accepts handled requests\n 1 1\nReading: 0 Writing: 1 Waiting: 0\n",
		"Active connections: 1\nserver accepts handled requests\n 1 1 1\nReading: 0 Writing: x Waiting: 0\n",
		"Active connections: 1\nserver accepts handled requests\n 1 1 99999999999999999999999\nReading: 0 Writing: 1 Waiting: 0\n",
		"Active connections: 1\nsomething else\n 1 1 1\nReading: 0 Writing: 1 Waiting: 0\n",
		strings.Repeat("Active connections: 1\n", 1000),
		"Active connections: 1\nserver accepts handled requests\n 1 1 1\nReading: 0 Writing: 1 Waiting: 0\n" + strings.Repeat("x", 10000),
	} {
		if s, err := ParseStubStatus(strings.NewReader(bad)); err == nil || !errors.Is(err, ErrMalformed) {
			t.Errorf("%.60q: %+v, %v; want a malformed error", bad, s, err)
		}
	}
}

func FuzzParseStubStatus(f *testing.F) {
	for _, file := range []string{"testdata/stub_status", "testdata/stub_status_busy"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStubStatus(bytes.NewReader(b))
		if err != nil && s != (StubStatus{}) {
			t.Fatalf("error %v with values %+v", err, s)
		}
	})
}

// TestFetchStubStatusHostile: each hostile page fails with its reason,
// quickly and within the body bound.
func TestFetchStubStatusHostile(t *testing.T) {
	t.Parallel()
	good, _ := os.ReadFile("testdata/stub_status_busy")
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(good) })
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("\xff\xfe not nginx")) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) {
		chunk := bytes.Repeat([]byte("Active connections: 1\n"), 1000)
		for range 5000 { // 100 MiB unless the reader stops
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		for r.Context().Err() == nil {
			_, _ = w.Write([]byte("Reading: "))
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/error", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", http.StatusForbidden) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := NewStubClient()
	for path, reason := range map[string]string{
		"/ok": "", "/garbage": StubMalformed, "/huge": StubTooLarge, "/slow": StubTimeout, "/endless": StubTimeout,
		"/redirect": StubHTTPStatus, "/error": StubHTTPStatus,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		start := time.Now()
		_, err := FetchStubStatus(ctx, client, srv.URL+path)
		cancel()
		var se *StubError
		switch {
		case reason == "" && err != nil:
			t.Errorf("%s: %v", path, err)
		case reason != "" && (!errors.As(err, &se) || se.Reason != reason):
			t.Errorf("%s: %v, want reason %s", path, err, reason)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v past a 500ms deadline", path, d)
		}
	}
	// Nothing listens there.
	l := listenLoopback(t)
	addr := l.Addr().String()
	l.Close()
	_, err := FetchStubStatus(context.Background(), client, "http://"+addr+"/")
	var se *StubError
	if !errors.As(err, &se) || se.Reason != StubUnreachable {
		t.Errorf("closed port: %v, want unreachable", err)
	}
}
