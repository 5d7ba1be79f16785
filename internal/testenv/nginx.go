package testenv

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// NginxSpec configures a real nginx (Debian's nginx-light) on 127.0.0.1.
type NginxSpec struct {
	// Backend, host:port, is proxied to (unbuffered, long read timeout);
	// empty: nginx serves Root, throttled by LimitRate.
	Backend string
	// Files are served when there is no Backend (name → content);
	// LimitRate (e.g. "16k") makes the responses last.
	Files     map[string][]byte
	LimitRate string
	// ShutdownTimeout sets worker_shutdown_timeout ("5s"); empty: none.
	ShutdownTimeout string
	// Workers defaults to 2.
	Workers int
	// User runs the workers ("nobody nogroup": user and group); empty: root, like the master, so a
	// test without CAP_SYS_PTRACE can still read their fds.
	User string
	// StubStatus serves the stub_status page on /nginx_status.
	StubStatus bool
	// Cgroup, a cgroup directory (see PodCgroup), holds the master and so
	// its workers from the start.
	Cgroup string
	// WorkerConnections defaults to 4096.
	WorkerConnections int
	// TLS adds HTTPS servers (port 443 of their IP: run as root), each
	// answering 200 to any request.
	TLS []NginxTLS
}

// NginxTLS is one HTTPS server block: ServerName ("" for the default
// server of its address, which serves unknown names) with a certificate.
type NginxTLS struct {
	IP, ServerName    string
	CertFile, KeyFile string
}

// Nginx is a running nginx.
type Nginx struct {
	Port, PID int
	Dir       string
}

// NginxBinary finds nginx, failing the test when it is not installed.
func NginxBinary(t testing.TB) string {
	t.Helper()
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Fatalf("testenv: nginx not installed (apt-get install nginx-light, or run hack/test-deps.sh): %v", err)
	}
	return "/usr/sbin/nginx"
}

// StartNginx runs nginx in the foreground until the test ends, then
// stops it gracefully (SIGQUIT).
func StartNginx(t testing.TB, s NginxSpec) *Nginx {
	t.Helper()
	bin := NginxBinary(t)
	dir := t.TempDir()
	// Workers of another user read the files: open the way to them.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "www")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range s.Files {
		if err := os.WriteFile(filepath.Join(root, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n := &Nginx{Port: FreePort(t), Dir: dir}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(s.config(dir, root, n.Port)), 0o644); err != nil {
		t.Fatal(err)
	}
	n.PID = runNginx(t, s.Cgroup, dir, []string{bin, "-c", path, "-p", dir, "-g", "daemon off;"})
	return n
}

// config is the nginx.conf of s, its files in dir, its documents in root,
// its plain HTTP server on port.
func (s NginxSpec) config(dir, root string, port int) string {
	workers, conns := s.Workers, s.WorkerConnections
	if workers == 0 {
		workers = 2
	}
	if conns == 0 {
		conns = 4096
	}
	global := []string{"user " + or(s.User, "root") + ";"}
	if s.ShutdownTimeout != "" {
		global = append(global, "worker_shutdown_timeout "+s.ShutdownTimeout+";")
	}
	var location []string
	if s.Backend != "" {
		location = append(location, "location / { proxy_pass http://"+s.Backend+"; proxy_buffering off; proxy_read_timeout 300s; }")
	} else {
		loc := "location / { root " + root + ";"
		if s.LimitRate != "" {
			loc += " limit_rate " + s.LimitRate + "; send_timeout 300s;"
		}
		location = append(location, loc+" }")
	}
	if s.StubStatus {
		location = append(location, "location = /nginx_status { stub_status; }")
	}
	var tlsServers []string
	for _, v := range s.TLS {
		listen := "listen " + v.IP + ":443 ssl"
		name := v.ServerName
		if name == "" {
			listen += " default_server"
			name = "_"
		}
		tlsServers = append(tlsServers, fmt.Sprintf("server { %s; server_name %s; ssl_certificate %s; ssl_certificate_key %s; location / { return 200; } }",
			listen, name, v.CertFile, v.KeyFile))
	}
	return fmt.Sprintf(`worker_processes %[1]d;
worker_rlimit_nofile %[2]d;
pid %[3]s/nginx.pid;
error_log %[3]s/error.log warn;
%[4]s
events { worker_connections %[5]d; }
http {
  access_log off;
  client_body_temp_path %[3]s/body; proxy_temp_path %[3]s/proxy; fastcgi_temp_path %[3]s/fastcgi;
  uwsgi_temp_path %[3]s/uwsgi; scgi_temp_path %[3]s/scgi;
  server {
    listen 127.0.0.1:%[6]d;
    %[7]s
  }
  %[8]s
}
`, workers, 2*conns+64, dir, strings.Join(global, "\n"), conns, port, strings.Join(location, "\n    "), strings.Join(tlsServers, "\n  "))
}

// runNginx starts nginx (args), in cgroup when set, stops it gracefully
// when the test ends, and waits until it has written its PID file.
func runNginx(t testing.TB, cgroup, dir string, args []string) int {
	t.Helper()
	var cmd *exec.Cmd
	if cgroup != "" {
		// Join the cgroup first, then become nginx: the master and every
		// worker it forks are in it from their first instruction.
		cmd = exec.Command("/bin/sh", append([]string{"-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, cgroup}, args...)...)
	} else {
		cmd = exec.Command(args[0], args[1:]...)
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = childAttrs()
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start nginx: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	// Ready once it accepts connections.
	Eventually(t, 10*time.Second, func() error {
		select {
		case <-exited:
			t.Fatalf("testenv: nginx exited at start; error log:\n%s", tail(filepath.Join(dir, "error.log"), 20))
		default:
		}
		if _, err := os.Stat(filepath.Join(dir, "nginx.pid")); err != nil {
			return fmt.Errorf("nginx not started: %w", err)
		}
		return nil
	})
	return cmd.Process.Pid
}

// PodCgroup creates the cgroup the kubelet (cgroupfs driver) would run a
// best-effort pod's container in, /kubepods/besteffort/pod<uid>/<id>, in
// the cgroup v2 hierarchy or else v1's pids hierarchy, and removes it when
// the test ends (after the processes put in it, whose cleanups run first).
func PodCgroup(t testing.TB, uid string) string {
	t.Helper()
	root := "/sys/fs/cgroup"
	if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
		root = filepath.Join(root, "pids") // cgroup v1
	}
	pod := filepath.Join(root, "kubepods", "besteffort", "pod"+uid)
	dir := filepath.Join(pod, strings.Repeat("c0ffee", 10)+"abcd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testenv: create pod cgroup (needs root and a writable cgroup hierarchy): %v", err)
	}
	t.Cleanup(func() {
		// rmdir fails while processes are in the cgroup: give the exiting
		// ones a moment.
		Eventually(t, 10*time.Second, func() error { return os.Remove(dir) })
		for _, d := range []string{pod, filepath.Dir(pod), filepath.Dir(filepath.Dir(pod))} {
			_ = os.Remove(d) // fails while another test's pod is there: fine
		}
	})
	return dir
}

// StreamingBackend answers every request with a slow, endless stream and
// counts the streams in flight.
func StreamingBackend(t testing.TB) (addr string, active *atomic.Int64) {
	t.Helper()
	active = &atomic.Int64{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Add(-1)
		f := w.(http.Flusher)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := w.Write([]byte("x\n")); err != nil {
				return
			}
			f.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String(), active
}

// HoldClients keeps n connections open through nginx, each reading an
// endless response; a connection cut before the response ended is a drop
// the client saw, and the client reconnects at once. wait returns once
// every client has stopped (after ctx ends).
func HoldClients(ctx context.Context, port, n int) (drops *atomic.Int64, wait func()) {
	drops = &atomic.Int64{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err != nil {
					continue
				}
				stop := context.AfterFunc(ctx, func() { conn.Close() })
				_, _ = conn.Write([]byte("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"))
				r := bufio.NewReader(conn)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						break
					}
				}
				if stop() { // the read ended by itself, not by the test stopping
					drops.Add(1)
				}
				conn.Close()
			}
		})
	}
	return drops, wg.Wait
}
