package kube

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Activity records when a list or watch request for each collection last
// succeeded, from the responses on the API client's transport. Every
// informer (typed, metadata-only, dynamic) goes through that transport,
// so one recorder covers them all without wrapping each informer's
// ListerWatcher. A healthy informer re-watches at least every 10 minutes
// (client-go's watch timeout), so an old timestamp is a stuck informer.
type Activity struct {
	now  func() time.Time
	mu   sync.Mutex
	last map[string]time.Time
}

// NewActivity returns an empty recorder.
func NewActivity() *Activity {
	return &Activity{now: time.Now, last: map[string]time.Time{}}
}

// WrapTransport records through rt; it fits rest.Config.Wrap.
func (a *Activity) WrapTransport(rt http.RoundTripper) http.RoundTripper {
	return activityTransport{a: a, next: rt}
}

type activityTransport struct {
	a    *Activity
	next http.RoundTripper
}

func (t activityTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	// A watch succeeds when its stream opens (200); a list, when its
	// (possibly paged) response is 200.
	if err == nil && resp.StatusCode == http.StatusOK && req.Method == http.MethodGet {
		if key, ok := requestCollection(req.URL); ok {
			t.a.mu.Lock()
			t.a.last[key] = t.a.now()
			t.a.mu.Unlock()
		}
	}
	return resp, err
}

// Succeeded records a successful list or watch of gvr, for clients without
// a transport (the demo's).
func (a *Activity) Succeeded(gvr schema.GroupVersionResource, labelSelector, fieldSelector string) {
	a.mu.Lock()
	a.last[collection(gvr, labelSelector, fieldSelector)] = a.now()
	a.mu.Unlock()
}

// Last is when a list or watch of collection (see collection) last
// succeeded; false if never.
func (a *Activity) Last(collection string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.last[collection]
	return t, ok
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
