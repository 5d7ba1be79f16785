package main

import (
	"fmt"
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
	_, base, _ := startCmd(t, exec.Command(bin, "agent"), "", "RELIABILITY_HOST_PID=self", "RELIABILITY_ETCD_DATA_DIR=/nonexistent/etcd", "GOGC=")
	body := scrape(t, base)
	// The agent's GC target is its own (agentGCPercent) unless GOGC says.
	for _, want := range []string{`kube_reliability_scrape_collector_success{collector="nginx"} 1`, `kube_reliability_scrape_collector_success{collector="etcd_disk"} 1`,
		fmt.Sprintf("\ngo_gc_gogc_percent %d\n", agentGCPercent)} {
		if !strings.Contains(body, want) {
			t.Errorf("agent-only build misses %q", want)
		}
	}
	_, base, _ = startCmd(t, exec.Command(bin, "agent"), "", "RELIABILITY_HOST_PID=self", "RELIABILITY_ETCD_DATA_DIR=/nonexistent/etcd", "GOGC=80")
	if body := scrape(t, base); !strings.Contains(body, "\ngo_gc_gogc_percent 80\n") {
		t.Error("GOGC=80 in the environment is not the agent's GC target")
	}
}

// The agent runs on every node: its build must not link what only central
// needs (the etcd client and gRPC, any API group's types — it watches its
// node's pods as metadata —, client-go's clientset, the shared and dynamic
// informers, the cluster snapshot, the capacity simulation and every
// analysis only central's collectors run). Their code would be resident on
// each node (bench/agent-cost.txt).
func TestAgentOnlyBuildLinksNoCentralDependency(t *testing.T) {
	const module = "github.com/kube-reliability/kube-reliability-exporter"
	out, err := exec.Command("go", "list", "-deps", "-tags", "agentonly", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go.etcd.io/etcd/client/", "google.golang.org/grpc", "k8s.io/client-go/kubernetes/scheme",
			"k8s.io/api/", "k8s.io/client-go/informers", "k8s.io/client-go/dynamic", "k8s.io/client-go/metadata/metadatainformer",
			module + "/internal/cluster", module + "/internal/capacity", module + "/internal/loss", module + "/internal/findings",
			module + "/internal/score", module + "/internal/placement", module + "/internal/disruption", module + "/internal/resources",
			module + "/internal/healthcheck", module + "/internal/certs", module + "/internal/tlsprobe"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") || (!strings.HasPrefix(banned, module) && strings.HasPrefix(dep, banned)) {
				t.Errorf("the agent-only build links %s", dep)
			}
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
