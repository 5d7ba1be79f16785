package chain

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The documented CI example (examples/ci/github-actions.yml) does what it
// says: its steps' commands, run with this build in place of `go run
// …@latest`, on a repository whose manifests hold a critical finding —
// the code-scanning job writes a SARIF 2.1.0 log and succeeds, its upload
// step reads that file, and the gate job fails; with the finding fixed the
// gate passes.
func TestCIExample(t *testing.T) {
	raw, err := os.ReadFile("../../examples/ci/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Env  map[string]string `json:"env"`
		Jobs map[string]struct {
			Permissions map[string]string `json:"permissions"`
			Steps       []struct {
				Name string            `json:"name"`
				Uses string            `json:"uses"`
				Run  string            `json:"run"`
				Env  map[string]string `json:"env"`
				With map[string]string `json:"with"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(wf.Env["AUDIT"], " audit") || wf.Jobs["code-scanning"].Permissions["security-events"] != "write" {
		t.Fatalf("workflow env %v, permissions %v", wf.Env, wf.Jobs["code-scanning"].Permissions)
	}
	repo := t.TempDir()
	write := func(livenessPort string) {
		// A liveness probe on a port the container does not declare:
		// health/probe-port-invalid, critical (it restarts forever).
		m := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]
      containers:
        - name: app
          image: registry.example/web:1
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 64Mi}}
          readinessProbe: {httpGet: {path: /ping, port: 8080}}
          livenessProbe: {httpGet: {path: /health, port: ` + livenessPort + `}}
          ports: [{containerPort: 8080}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}
`
		if err := os.MkdirAll(filepath.Join(repo, "deploy"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, "deploy", "web.yaml"), []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(job string) (exitCode int, stepsRun int) {
		for _, s := range wf.Jobs[job].Steps {
			if s.Uses == "github/codeql-action/upload-sarif@v3" {
				if _, err := os.Stat(filepath.Join(repo, s.With["sarif_file"])); err != nil {
					t.Errorf("%s: the upload step's %s was not written: %v", job, s.With["sarif_file"], err)
				}
				continue
			}
			if s.Run == "" {
				continue
			}
			cmd := exec.Command("bash", "-c", s.Run)
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "AUDIT="+binary+" audit", "MANIFESTS="+wf.Env["MANIFESTS"])
			for k, v := range s.Env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			stepsRun++
			if err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					t.Logf("%s: %s exited %d:\n%s", job, s.Name, ee.ExitCode(), out)
					return ee.ExitCode(), stepsRun
				}
				t.Fatal(err)
			}
		}
		return 0, stepsRun
	}
	write("admin")
	if code, n := run("code-scanning"); code != 0 || n != 1 {
		t.Errorf("code-scanning job: exit %d after %d steps, want 0 after 1", code, n)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
				Level  string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	b, err := os.ReadFile(filepath.Join(repo, "reliability.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("reliability.sarif: %v %+v", err, log)
	}
	critical := false
	for _, r := range log.Runs[0].Results {
		critical = critical || r.RuleID == "health/probe-port-invalid" && r.Level == "error"
	}
	if !critical {
		t.Errorf("no health/probe-port-invalid error in the SARIF log: %+v", log.Runs[0].Results)
	}
	if code, _ := run("gate"); code != 1 {
		t.Errorf("gate on a critical finding: exit %d, want 1", code)
	}
	write("8080")
	if code, _ := run("gate"); code != 0 {
		t.Errorf("gate with the finding fixed: exit %d, want 0", code)
	}
}
