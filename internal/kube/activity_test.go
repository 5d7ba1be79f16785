package kube

import (
	"net/http"
	"net/url"
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
	a := NewActivity()
	at := time.Unix(1700000000, 0)
	a.now = func() time.Time { return at }
	helm := collection(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, "owner=helm", "")
	deploys := collection(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "", "")
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
	do(200, "GET", "https://h/prefix/api/v1/secrets?labelSelector=owner%3Dhelm&watch=true")
	if got, ok := a.Last(helm); !ok || !got.Equal(at) {
		t.Errorf("helm secrets last success %v %v, want %v", got, ok, at)
	}
	do(200, "GET", "https://h/apis/apps/v1/deployments?limit=500&resourceVersion=0")
	if _, ok := a.Last(deploys); !ok {
		t.Error("deployments list not recorded")
	}
}
