package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// agentUID is the image's non-root user (distroless nonroot).
const agentUID = 65532

// copyAsAgentBinary copies this test binary where the agent's user can run
// it, with the given file capabilities (setcap syntax; empty: none).
func copyAsAgentBinary(t *testing.T, caps string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kre-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "kube-reliability-agent")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	if caps != "" {
		setcap, err := exec.LookPath("setcap")
		if err != nil {
			setcap = "/usr/sbin/setcap"
		}
		if out, err := exec.Command(setcap, caps, bin).CombinedOutput(); err != nil {
			t.Fatalf("setcap (libcap2-bin, installed by hack/test-deps.sh): %v: %s", err, out)
		}
	}
	return bin
}

// startAgentAs runs the agent binary as the image's non-root user.
func startAgentAs(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: agentUID, Gid: agentUID}}
	_, base, _ := startCmd(t, cmd, "agent",
		"RELIABILITY_HOST_PID=self", "RELIABILITY_ETCD_DATA_DIR=/nonexistent/etcd",
		"RELIABILITY_NGINX_SAMPLE_INTERVAL=100ms", "RELIABILITY_EXPORTER_METRICS=false")
	return base
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	_, body := get(t, base+"/metrics")
	return body
}

func value(body, series string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// TestAgentPrivileges: the DaemonSet runs the agent as a non-root user
// whose binary carries CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH as file
// capabilities. nginx's workers run as another user (nobody), as
// ingress-nginx's do. Without the capabilities the agent still counts
// reloads but cannot read sockets: it says so (permission errors) and
// exports no connection counts rather than zeros. With them, a connection
// held through a reload is seen held, then dropped.
func TestAgentPrivileges(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real nginx and the agent as another user")
	}
	if os.Getuid() != 0 {
		t.Fatal("this test switches users: run it as root (CI does)")
	}
	n := testenv.StartNginx(t, testenv.NginxSpec{
		// 8 MiB at 16 KiB/s: a response that outlasts the test.
		Files: map[string][]byte{"big": make([]byte, 8<<20)}, LimitRate: "16k", User: "nobody nogroup", ShutdownTimeout: "3s"})
	labels := fmt.Sprintf(`{listen="%d",namespace="",pod=""}`, n.Port)

	t.Run("without capabilities", func(t *testing.T) {
		base := startAgentAs(t, copyAsAgentBinary(t, ""))
		testenv.Eventually(t, 20*time.Second, func() error {
			body := scrape(t, base)
			if v, _ := value(body, `kube_reliability_nginx_proc_read_errors_total{reason="permission"}`); v == 0 {
				return fmt.Errorf("no permission errors counted")
			}
			if v, ok := value(body, `kube_reliability_nginx_instances`); !ok || v < 1 {
				return fmt.Errorf("nginx not found without capabilities (cmdline and stat are world-readable)")
			}
			if strings.Contains(body, "kube_reliability_nginx_reload_dropped_connections_total") {
				return fmt.Errorf("connection counts exported though no socket could be read:\n%s", grepLines(body, "nginx_"))
			}
			return nil
		})
	})

	t.Run("with file capabilities", func(t *testing.T) {
		base := startAgentAs(t, copyAsAgentBinary(t, "cap_sys_ptrace,cap_dac_read_search=ep"))
		testenv.Eventually(t, 20*time.Second, func() error {
			if _, ok := value(scrape(t, base), "kube_reliability_nginx_reload_dropped_connections_total"+labels); !ok {
				return fmt.Errorf("instance on %d not tracked with its sockets", n.Port)
			}
			return nil
		})
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.Port))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte("GET /big HTTP/1.1\r\nHost: test\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil { // the response started
			t.Fatal(err)
		}
		if err := syscall.Kill(n.PID, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 20*time.Second, func() error {
			body := scrape(t, base)
			if v, _ := value(body, "kube_reliability_nginx_reload_dropped_connections_total"+labels); v != 1 {
				return fmt.Errorf("dropped %v, want the 1 held connection:\n%s", v, grepLines(body, "nginx_"))
			}
			if v, _ := value(body, `kube_reliability_nginx_proc_read_errors_total{reason="permission"}`); v != 0 {
				return fmt.Errorf("permission errors %v with the capabilities", v)
			}
			return nil
		})
	})
}

func grepLines(body, part string) string {
	var out []string
	for l := range strings.Lines(body) {
		if strings.Contains(l, part) && !strings.HasPrefix(l, "#") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}
