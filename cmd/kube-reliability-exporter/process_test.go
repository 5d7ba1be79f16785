package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
)

// TestMain lets a test run this very binary as the exporter: with
// KRE_RUN_MAIN=1 the test binary is main, so signal handling is tested on
// a real process without building another binary. Otherwise it fails the
// package if a test leaves a goroutine running: the tests run every mode
// in-process (central's informers, watchers, fetchers and probers on a
// real API server) and each must end with its context.
func TestMain(m *testing.M) {
	if os.Getenv("KRE_RUN_MAIN") == "1" {
		os.Args = append([]string{"kube-reliability-exporter"}, strings.Fields(os.Getenv("KRE_ARGS"))...)
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// servingLine finds the address in demo's "serving ... on http://…/metrics"
// (stdout) and in the "listening" log line's endpoint (stderr).
var servingLine = regexp.MustCompile(`(http://[^\s"]+)/metrics`)

// watchWriter keeps what is written and reports the first serving address
// in it (slog writes a line per Write).
type watchWriter struct {
	*syncBuffer
	urls chan<- string
}

func (w watchWriter) Write(p []byte) (int, error) {
	if m := servingLine.FindSubmatch(p); m != nil {
		select {
		case w.urls <- string(m[1]):
		default:
		}
	}
	return w.syncBuffer.Write(p)
}

// startProcess runs the exporter as a child process and returns it with
// the base URL it printed.
func startProcess(t *testing.T, args string, env ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	return startCmd(t, exec.Command(os.Args[0]), args, env...)
}

// startCmd is startProcess for a prepared command (another copy of this
// binary, another user).
func startCmd(t testing.TB, cmd *exec.Cmd, args string, env ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd.Env = append(os.Environ(), append([]string{"KRE_RUN_MAIN=1", "KRE_ARGS=" + args, "RELIABILITY_LISTEN_ADDRESS=127.0.0.1:0"}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	urls := make(chan string, 2)
	cmd.Stderr = watchWriter{stderr, urls}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u, stderr
	case <-exited:
		t.Fatalf("exporter exited before serving:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("exporter not serving after 60s:\n%s", stderr.String())
	}
	return nil, "", nil
}

// SIGTERM (what the kubelet sends) shuts the exporter down gracefully
// with exit code 0.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	cmd, base, stderr := startProcess(t, "demo")
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	terminate(t, cmd, stderr, "")
}

// TLS from the exporter-toolkit web config: https works with the CA, plain
// http is refused.
func TestTLSFromWebConfig(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	cert, key, cfg := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "web.yml")
	for p, b := range map[string][]byte{cert: certPEM, key: keyPEM,
		cfg: fmt.Appendf(nil, "tls_server_config:\n  cert_file: %s\n  key_file: %s\n", cert, key)} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("RELIABILITY_LISTEN_ADDRESS", "127.0.0.1:0")
	t.Setenv("RELIABILITY_WEB_CONFIG_FILE", cfg)
	addr, _, _ := startMode(t, "demo")

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := client.Get("https://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("https: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("https /metrics = %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain http served /metrics although TLS is configured")
		}
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// SIGHUP changes nothing: the exporter keeps serving (Go's default would
// kill it); SIGTERM during a storm of scrapes then ends it with exit 0,
// and every scrape either completes whole or is refused — none is cut.
func TestSIGHUPIgnoredAndSIGTERMDuringScrapes(t *testing.T) {
	cmd, base, stderr := startProcess(t, "demo")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("after SIGHUP: %v\n%s", err, stderr.String())
	}
	resp.Body.Close()
	var wg sync.WaitGroup
	var complete, refused, cut atomic.Int64
	stopScraping := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stopScraping:
					return
				default:
				}
				resp, err := http.Get(base + "/metrics")
				if err != nil {
					refused.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode == http.StatusOK && !strings.Contains(string(body), "kube_reliability_build_info") {
					cut.Add(1)
					continue
				}
				complete.Add(1)
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	terminate(t, cmd, stderr, "")
	close(stopScraping)
	wg.Wait()
	if complete.Load() == 0 || cut.Load() != 0 {
		t.Errorf("scrapes: %d complete, %d refused, %d cut; want some complete and none cut", complete.Load(), refused.Load(), cut.Load())
	}
}

// SIGTERM while central's caches are still syncing (its API server
// accepts connections and never answers) ends it with exit 0, promptly.
func TestSIGTERMDuringStartUp(t *testing.T) {
	// Accepts, holds the connection open and never answers.
	apiServer := testcerts.ServeHostile(t).Hang
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://`+apiServer+`"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, base, stderr := startProcess(t, "central", "RELIABILITY_KUBECONFIG="+kubeconfig)
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while syncing: %d, want 503", resp.StatusCode)
	}
	took := terminate(t, cmd, stderr, " during start-up")
	t.Logf("exited %v after SIGTERM", took.Round(time.Millisecond))
}

// terminate sends cmd SIGTERM and waits for it to exit 0, within 20 s (the
// grace period the chart gives); it returns how long that took.
func terminate(t *testing.T, cmd *exec.Cmd, stderr fmt.Stringer, while string) time.Duration {
	t.Helper()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM%s: %v\n%s", while, err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("exporter still running 20s after SIGTERM%s:\n%s", while, stderr.String())
	}
	return time.Since(start)
}
