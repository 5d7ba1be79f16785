package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// Overload stands between one client and the real API server and makes
// the server look overloaded to it: refusing every request with 429 as
// priority and fairness does (the same Status body and Retry-After), or
// answering slowly. It counts every request that reaches it. A real
// overload cannot be made to order on a test API server (priority and
// fairness refuses by concurrency, which a test cannot hold steady), so
// the refusals are the proxy's and everything else is the API server's.
type Overload struct {
	// URL is the proxy's https address on 127.0.0.1 (client-go sends no
	// credentials to a plain-HTTP server); its certificate is signed by
	// caFile's CA.
	URL string

	caFile   string
	env      *Env
	mu       sync.Mutex
	mode     string // "", "refuse" or "slow"
	retry    int
	delay    time.Duration
	inflight map[*http.Request]context.CancelFunc
	requests []ProxiedRequest
}

// ProxiedRequest is one request that reached the proxy.
type ProxiedRequest struct {
	At      time.Time
	Method  string
	Path    string
	Watch   bool
	Refused bool
}

// StartOverload starts a proxy to the API server until the test ends;
// it passes everything until told otherwise.
func (e *Env) StartOverload() *Overload {
	e.t.Helper()
	target, err := url.Parse(e.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	pem, err := os.ReadFile(e.caFile)
	if err != nil {
		e.t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}
	rp.FlushInterval = -1 // watches stream
	// A cut request is the point, not an error worth a line.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	o := &Overload{env: e, inflight: map[*http.Request]context.CancelFunc{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	ca := NewCA(e.t)
	o.caFile = ca.File
	certFile, keyFile := ca.Issue(time.Now().Add(24 * time.Hour))
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		e.t.Fatal(err)
	}
	ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	o.URL = "https://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		o.mu.Lock()
		mode, retry, delay := o.mode, o.retry, o.delay
		o.requests = append(o.requests, ProxiedRequest{At: time.Now(), Method: r.Method, Path: r.URL.Path,
			Watch: q.Get("watch") == "true" || q.Get("watch") == "1", Refused: mode == "refuse"})
		o.mu.Unlock()
		switch mode {
		case "refuse":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":%d},"code":429}`+"\n", retry)
			return
		case "slow":
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		ctx, cancel := context.WithCancel(r.Context())
		r = r.WithContext(ctx)
		o.mu.Lock()
		o.inflight[r] = cancel
		o.mu.Unlock()
		defer func() {
			o.mu.Lock()
			delete(o.inflight, r)
			o.mu.Unlock()
			cancel()
		}()
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		o.cut()
		_ = srv.Shutdown(ctx)
	})
	return o
}

// Refuse answers every request from now on with 429 and Retry-After
// retryAfter seconds, and cuts the requests in flight (watches included),
// as an API server restarting into overload does.
func (o *Overload) Refuse(retryAfter int) {
	o.mu.Lock()
	o.mode, o.retry = "refuse", retryAfter
	o.mu.Unlock()
	o.cut()
}

// Slow delays every request from now on by d before passing it on, and
// cuts the requests in flight.
func (o *Overload) Slow(d time.Duration) {
	o.mu.Lock()
	o.mode, o.delay = "slow", d
	o.mu.Unlock()
	o.cut()
}

// Pass passes every request on from now on.
func (o *Overload) Pass() {
	o.mu.Lock()
	o.mode = ""
	o.mu.Unlock()
}

func (o *Overload) cut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, cancel := range o.inflight {
		cancel()
	}
}

// Requests returns the requests that reached the proxy in [from, to).
func (o *Overload) Requests(from, to time.Time) []ProxiedRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []ProxiedRequest
	for _, r := range o.requests {
		if !r.At.Before(from) && r.At.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

// Kubeconfig writes a kubeconfig file that reaches the API server through
// the proxy as the ServiceAccount namespace/name and returns its path.
func (o *Overload) Kubeconfig(namespace, name string) string {
	rc := o.env.ServiceAccountConfig(namespace, name)
	return o.env.writeKubeconfig("overload-"+namespace+"-"+name+".kubeconfig", o.URL, o.caFile, rc.BearerToken)
}
