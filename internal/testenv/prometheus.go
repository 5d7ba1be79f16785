package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Server is a Prometheus or an Alertmanager started on loopback.
type Server struct {
	URL     string
	logFile string
}

// Log returns the server's log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logFile)
	return string(b)
}

// startServer runs bin with args (and --web.listen-address on a free
// loopback port) until the test ends, once /-/ready answers 200.
func startServer(t testing.TB, name, bin string, args ...string) *Server {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("testenv: %s not installed (hack/test-deps.sh installs it): %v", bin, err)
	}
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	s := &Server{URL: "http://" + addr, logFile: filepath.Join(dir, name+".log")}
	logf, err := os.Create(s.logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, append(args, "--web.listen-address="+addr)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttrs()
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() { stopProcess(cmd, exited) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("testenv: %s exited: %v\n%s", bin, err, s.Log())
		default:
		}
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: %s not ready after 30s:\n%s", bin, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartPrometheus runs Debian's Prometheus with the configuration config
// (rule files are named relative to files, written beside it).
func StartPrometheus(t testing.TB, config string, files map[string]string) *Server {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "prometheus.yml"), config)
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	return startServer(t, "prometheus", "prometheus", "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"))
}

// StartAlertmanager runs Debian's Alertmanager (prometheus-alertmanager)
// with the configuration config, clustering off.
func StartAlertmanager(t testing.TB, config string) *Server {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "alertmanager.yml"), config)
	bin := "prometheus-alertmanager"
	if _, err := exec.LookPath(bin); err != nil {
		bin = "alertmanager"
	}
	return startServer(t, "alertmanager", bin, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "data"), "--cluster.listen-address=")
}

// Sample is one element of an instant vector.
type Sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// Query evaluates expr now through Prometheus's HTTP API.
func (s *Server) Query(expr string) ([]Sample, error) {
	resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status, Error string
		Data          struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		}
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %q: %w: %s", expr, err, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", expr, r.Error)
	}
	if r.Data.ResultType == "scalar" {
		var v [2]any
		if err := json.Unmarshal(r.Data.Result, &v); err != nil {
			return nil, err
		}
		return []Sample{{Value: v}}, nil
	}
	var out []Sample
	if err := json.Unmarshal(r.Data.Result, &out); err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	return out, nil
}
