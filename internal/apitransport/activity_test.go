package apitransport

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

type status int

func (s status) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: int(s), Body: http.NoBody}, nil
}

// Only successful GETs of the informer's exact collection (path and
// selectors) count; a failed list, another selector or one object do not.
func TestActivityRecordsSuccessfulListsAndWatches(t *testing.T) {
	a := NewActivity(nil)
	at := time.Unix(1700000000, 0)
	a.now = func() time.Time { return at }
	helm := Collection(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, "owner=helm", "")
	deploys := Collection(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "", "")
	do := func(code int, method, rawURL string) {
		t.Helper()
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.WrapTransport(status(code)).RoundTrip(&http.Request{Method: method, URL: u}); err != nil {
			t.Fatal(err)
		}
	}
	do(403, "GET", "https://h/api/v1/secrets?labelSelector=owner%3Dhelm&limit=500")
	do(200, "GET", "https://h/api/v1/secrets?labelSelector=owner%3Dtiller")
	do(200, "GET", "https://h/api/v1/namespaces/x/secrets/y")
	do(200, "POST", "https://h/api/v1/secrets?labelSelector=owner%3Dhelm")
	if _, ok := a.Last(helm); ok {
		t.Fatal("recorded a failed, foreign or non-list request")
	}
	if n := a.Errors(helm); n != 1 {
		t.Errorf("helm errors %d, want 1 (the 403)", n)
	}
	do(410, "GET", "https://h/api/v1/secrets?labelSelector=owner%3Dhelm&watch=true")
	if n := a.Errors(helm); n != 1 {
		t.Errorf("helm errors %d after a 410, want 1 (an expired watch re-lists by design)", n)
	}
	do(200, "GET", "https://h/prefix/api/v1/secrets?labelSelector=owner%3Dhelm&watch=true")
	if got, ok := a.Last(helm); !ok || !got.Equal(at) {
		t.Errorf("helm secrets last success %v %v, want %v", got, ok, at)
	}
	do(200, "GET", "https://h/apis/apps/v1/deployments?limit=500&resourceVersion=0")
	if _, ok := a.Last(deploys); !ok {
		t.Error("deployments list not recorded")
	}
}

type refused struct{}

func (refused) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
}

// An unreachable API server is counted per request, retries included
// (client-go retries a failing streaming list without telling the
// informer's error handler), and logged once per outage.
func TestActivityCountsUnreachableServerOncePerRequest(t *testing.T) {
	var log bytes.Buffer
	a := NewActivity(slog.New(slog.NewTextHandler(&log, nil)))
	u, _ := url.Parse("https://h/api/v1/pods?watch=true&sendInitialEvents=true")
	for range 3 {
		if _, err := a.WrapTransport(refused{}).RoundTrip(&http.Request{Method: "GET", URL: u}); err == nil {
			t.Fatal("error swallowed")
		}
	}
	pods := Collection(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "", "")
	if n := a.Errors(pods); n != 3 {
		t.Errorf("errors %d, want 3", n)
	}
	if n := strings.Count(log.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, log.String())
	}
	if _, err := a.WrapTransport(status(200)).RoundTrip(&http.Request{Method: "GET", URL: u}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "succeeds again") {
		t.Errorf("recovery not logged:\n%s", log.String())
	}
}

// An outage of an hour, retried every 5 s, is logged when it starts,
// every 5 minutes while it lasts (a reader of the log sees it has not
// ended), and when it ends: 13 lines, not 720.
func TestActivityLogsALongOutageAtABoundedRate(t *testing.T) {
	var log bytes.Buffer
	a := NewActivity(slog.New(slog.NewTextHandler(&log, nil)))
	at := time.Unix(1700000000, 0)
	a.now = func() time.Time { return at }
	u, _ := url.Parse("https://h/api/v1/pods?watch=true")
	for range 720 {
		_, _ = a.WrapTransport(refused{}).RoundTrip(&http.Request{Method: "GET", URL: u})
		at = at.Add(5 * time.Second)
	}
	_, _ = a.WrapTransport(status(200)).RoundTrip(&http.Request{Method: "GET", URL: u})
	lines := strings.Count(log.String(), "\n")
	again := strings.Count(log.String(), `msg="list or watch still failing"`)
	if lines != 13 || again != 11 || !strings.Contains(log.String(), "failing_for_seconds=3300 errors=661") {
		t.Errorf("%d lines (%d still failing), want 13 (11):\n%s", lines, again, log.String())
	}
}

// A cache is current while its watch is open: Last is the scrape's time
// then, the watch's end once it ends, and its start once it has stayed
// open past the timeout it asked the server for (a hung connection).
func TestActivityWatchKeepsTheCacheCurrent(t *testing.T) {
	a := NewActivity(nil)
	at := time.Unix(1700000000, 0)
	a.now = func() time.Time { return at }
	pods := Collection(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "", "")
	u, _ := url.Parse("https://h/api/v1/pods?watch=true&timeoutSeconds=300&allowWatchBookmarks=true")
	watch := func() *http.Response {
		resp, err := a.WrapTransport(status(200)).RoundTrip(&http.Request{Method: "GET", URL: u})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := watch()
	at = at.Add(4 * time.Minute)
	if got, _ := a.Last(pods); !got.Equal(at) {
		t.Errorf("open watch: last %v, want now %v", got, at)
	}
	at = at.Add(time.Minute)
	if _, err := resp.Body.Read(make([]byte, 1)); err == nil {
		t.Fatal("empty body read without error")
	}
	_ = resp.Body.Close() // counted once, not twice
	ended := at
	at = at.Add(time.Minute)
	if got, _ := a.Last(pods); !got.Equal(ended) {
		t.Errorf("ended watch: last %v, want its end %v", got, ended)
	}

	opened := at
	watch()
	at = opened.Add(300*time.Second + watchGrace - time.Second)
	if got, _ := a.Last(pods); !got.Equal(at) {
		t.Errorf("watch within its timeout: last %v, want now", got)
	}
	at = opened.Add(300*time.Second + watchGrace + time.Second)
	if got, _ := a.Last(pods); !got.Equal(opened) {
		t.Errorf("watch open past its timeout: last %v, want its start %v", got, opened)
	}
}
