package collector_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/targets"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestNginxStubStatusLive: a real nginx with clients in every connection
// state (10 downloading, 5 idle on keep-alive, 2 mid-header); its
// stub_status read through the collector gives each state exactly. A
// garbage target next to it is down with its reason and changes nothing
// for nginx's series.
func TestNginxStubStatusLive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real nginx")
	}
	const streaming, idle, partial = 10, 5, 2
	n := testenv.StartNginx(t, testenv.NginxSpec{StubStatus: true, LimitRate: "16k",
		Files: map[string][]byte{"big": make([]byte, 8<<20), "small": []byte("ok")}})
	addr := fmt.Sprintf("127.0.0.1:%d", n.Port)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	for range streaming {
		c := dial()
		fmt.Fprint(c, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	for range idle {
		c := dial()
		fmt.Fprint(c, "GET /small HTTP/1.1\r\nHost: t\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range partial {
		fmt.Fprint(dial(), "GET /small HTTP/1.1\r\n")
	}

	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>502 Bad Gateway</html>"))
	}))
	t.Cleanup(garbage.Close)
	ts, err := targets.Parse("stub_status URL", []string{"edge=http://" + addr + "/nginx_status", "broken=" + garbage.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t, collector.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), StubStatus: ts, Settings: collector.Settings{StubStatusTimeout: 2 * time.Second}}, "nginx_stub_status")

	// Each scrape is one more accepted connection and request (the
	// partial headers are requests already: nginx counts a request when
	// its first byte arrives).
	scrapes := 0
	testenv.Eventually(t, 10*time.Second, func() error {
		scrapes++
		got := samples(t, reg)
		want := map[string]float64{
			series("kube_reliability_nginx_stub_status_up", "target", "edge"):                                    1,
			series("kube_reliability_nginx_connections", "target", "edge", "state", "active"):                    streaming + idle + partial + 1,
			series("kube_reliability_nginx_connections", "target", "edge", "state", "writing"):                   streaming + 1,
			series("kube_reliability_nginx_connections", "target", "edge", "state", "reading"):                   partial,
			series("kube_reliability_nginx_connections", "target", "edge", "state", "waiting"):                   idle,
			series("kube_reliability_nginx_connections_accepted_total", "target", "edge"):                        float64(streaming + idle + partial + scrapes),
			series("kube_reliability_nginx_connections_handled_total", "target", "edge"):                         float64(streaming + idle + partial + scrapes),
			series("kube_reliability_nginx_http_requests_total", "target", "edge"):                               float64(streaming + idle + partial + scrapes),
			series("kube_reliability_nginx_stub_status_errors_total", "target", "edge", "reason", "malformed"):   0,
			series("kube_reliability_nginx_stub_status_up", "target", "broken"):                                  0,
			series("kube_reliability_nginx_stub_status_errors_total", "target", "broken", "reason", "malformed"): float64(scrapes),
			series("kube_reliability_nginx_connections", "target", "broken", "state", "active"):                  -1,
		}
		var diffs []string
		for k, v := range want {
			g, ok := got[k]
			switch {
			case v == -1 && ok, v != -1 && !ok, v != -1 && g != v:
				diffs = append(diffs, fmt.Sprintf("%s = %v (present %v), want %v", k, g, ok, v))
			}
		}
		if len(diffs) > 0 {
			return fmt.Errorf("after %d scrapes:\n%s", scrapes, strings.Join(diffs, "\n"))
		}
		return nil
	})
}
