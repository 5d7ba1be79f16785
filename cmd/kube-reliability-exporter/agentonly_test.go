package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentOnlyBuild: the agent image's binary (-tags agentonly, without
// central's and demo's code) serves the agent's collectors and refuses the
// other modes with a usage error.
func TestAgentOnlyBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent-only binary")
	}
	bin := filepath.Join(t.TempDir(), "kube-reliability-agent")
	if out, err := exec.Command("go", "build", "-tags", "agentonly", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "demo").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage || !strings.Contains(string(out), "agent-only build") {
		t.Errorf("demo on the agent-only build: %v, %s", err, out)
	}
	_, base, _ := startCmd(t, exec.Command(bin, "agent"), "", "RELIABILITY_HOST_PID=self", "RELIABILITY_ETCD_DATA_DIR=/nonexistent/etcd")
	body := scrape(t, base)
	for _, want := range []string{`kube_reliability_scrape_collector_success{collector="nginx"} 1`, `kube_reliability_scrape_collector_success{collector="etcd_disk"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("agent-only build misses %s", want)
		}
	}
}

// TestNoDemoBuild: the central image's binary (-tags nodemo) runs central
// and refuses demo with a usage error.
func TestNoDemoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the no-demo binary")
	}
	bin := filepath.Join(t.TempDir(), "kube-reliability-exporter")
	if out, err := exec.Command("go", "build", "-tags", "nodemo", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "demo").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage || !strings.Contains(string(out), "no demo mode") {
		t.Errorf("demo on the no-demo build: %v, %s", err, out)
	}
	out, err = exec.Command(bin, "central", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RELIABILITY_KUBECONFIG") {
		t.Errorf("central --help on the no-demo build: %v, %s", err, out)
	}
}
