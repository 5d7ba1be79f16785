package healthfetch

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testheap"
)

// hostileKinds are the ways a health endpoint can misbehave, each served
// from raw TCP (nothing in net/http smooths them), with the reason a read
// of it must end with.
var hostileKinds = []struct {
	name, reason string
	handle       func(c net.Conn, done <-chan struct{})
}{
	{"hang", ReasonTimeout, func(c net.Conn, done <-chan struct{}) {
		// Never answers; ends when the reader gives up and closes (the
		// heap measured is the fetcher's, not held connections').
		_, _ = c.Read(make([]byte, 64<<10))
		_, _ = c.Read(make([]byte, 1))
	}},
	{"trickle", ReasonTimeout, func(c net.Conn, done <-chan struct{}) {
		respond(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}},
	{"huge", ReasonTooLarge, func(c net.Conn, done <-chan struct{}) {
		respond(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for range 1600 { // 100 MiB unless the reader stops
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}},
	{"deep", ReasonTooDeep, func(c net.Conn, done <-chan struct{}) {
		body := strings.Repeat(`{"a":`, 30000) + "1" + strings.Repeat("}", 30000)
		respond(c, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	}},
	{"invalid", ReasonInvalidJSON, func(c net.Conn, done <-chan struct{}) {
		body := `{"checks": {"db:x": [{`
		respond(c, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	}},
	{"redirect", ReasonRedirect, func(c net.Conn, done <-chan struct{}) {
		respond(c, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.99:1/elsewhere\r\nContent-Length: 0\r\n\r\n")
	}},
	{"reset", ReasonUnreachable, func(c net.Conn, done <-chan struct{}) {
		readRequest(c)
		_ = c.(*net.TCPConn).SetLinger(0)
	}},
}

// readRequest reads a request's head (bounded) off c.
func readRequest(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = http.ReadRequest(bufio.NewReaderSize(c, 4096))
}

func respond(c net.Conn, s string) {
	readRequest(c)
	_, _ = c.Write([]byte(s))
}

// healthyBody lists one dependency named after the endpoint, so that each
// well-behaved endpoint's result is its own.
func healthyBody(i int) string {
	return fmt.Sprintf(`{"status":"pass","checks":{"dep-%d:responseTime":[{"componentType":"component"}]}}`, i)
}

// TestThousandHostileEndpoints (issue 16): 1,000 health endpoints, each on
// its own loopback address (a pod's), seven in eight hostile in one of the
// known ways and one in eight well-behaved, read for four rounds. Each
// round ends within Config.RoundBound, every read ends with its reason,
// every well-behaved endpoint's dependency is exact, the heap peak during
// a round stays within the reads' bound (Concurrency bodies of MaxBody)
// and the heap left after a round does not grow from round to round.
func TestThousandHostileEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand listeners, four rounds")
	}
	const n, rounds = 1000, 4
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	want := map[string]string{} // URL → reason
	var eps []healthcheck.Endpoint
	for i := range n {
		ip := fmt.Sprintf("127.1.%d.%d", i/200, 1+i%200)
		kind := i % (len(hostileKinds) + 1)
		var addr, reason string
		if kind == len(hostileKinds) {
			body := healthyBody(i)
			addr = testcerts.ServeOn(t, ip, func(c net.Conn) {
				defer c.Close()
				respond(c, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/health+json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
			})
		} else {
			k := hostileKinds[kind]
			addr = testcerts.ServeOn(t, ip, func(c net.Conn) {
				defer c.Close()
				k.handle(c, done)
			})
			reason = k.reason
		}
		url := "http://" + addr + "/health"
		want[url] = reason
		eps = append(eps, healthcheck.Endpoint{Key: healthcheck.Key{Namespace: "ns", Kind: "Deployment", Name: fmt.Sprintf("w%d", i)},
			Probe: healthcheck.Readiness, URL: url})
	}
	// The default timeout (2 s): a shorter one turns a busy CI machine's
	// slow answers into timeouts. More reads in flight than the default 8
	// keep the round short with 250 endpoints that take the whole timeout.
	cfg := Config{Interval: time.Minute, Timeout: 2 * time.Second, MaxBody: 256 << 10, MaxDepth: 32, Concurrency: 128, PerSecond: 2000}
	f := New(cfg, nil)
	bound := cfg.RoundBound(n)
	// Every read holds at most MaxBody (+1) of body, read by io.ReadAll
	// (which may hold twice that while it grows), and its connection's
	// buffers.
	peakBound := uint64(cfg.Concurrency) * (2*uint64(cfg.MaxBody) + 256<<10)

	measured := testheap.Run(t, rounds, bound, func() { f.FetchAll(context.Background(), eps) })

	results := f.Results()
	if len(results) != n {
		t.Fatalf("%d results, want %d", len(results), n)
	}
	wrong := 0
	for e, r := range results {
		w := want[e.URL]
		if r.Err != w {
			if wrong++; wrong <= 10 {
				t.Errorf("%s: reason %q, want %q", e.URL, r.Err, w)
			}
			continue
		}
		if w == "" {
			var i int
			fmt.Sscanf(e.Key.Name, "w%d", &i)
			deps := r.Response.Dependencies()
			if len(deps) != 1 || deps[0].Name != fmt.Sprintf("dep-%d", i) || !r.Known {
				t.Errorf("%s: %+v, want its one dependency dep-%d", e.URL, r, i)
			}
		}
	}
	if wrong > 10 {
		t.Errorf("%d endpoints with the wrong reason in all", wrong)
	}
	failures := f.Failures()
	for _, k := range hostileKinds {
		per := uint64(rounds * (n / (len(hostileKinds) + 1)))
		if k.reason == ReasonTimeout {
			per *= 2 // hang and trickle
		}
		if failures[k.reason] != per {
			t.Errorf("failures[%s] = %d, want %d", k.reason, failures[k.reason], per)
		}
	}
	measured.Check(t, peakBound)
	t.Logf("%d endpoints (%d well-behaved), %d rounds (bound %v each, heap peak bound %d MiB): %v",
		n, n/(len(hostileKinds)+1), rounds, bound, peakBound>>20, measured)
}
