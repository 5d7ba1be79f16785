package layers

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/kube-reliability/kube-reliability-exporter/"

// analysis packages decide from what they are given: a snapshot, results,
// bytes. They never talk to the API server or the network, so they run
// the same on a live cluster, a manifest, a fixture and a fuzzer.
var analysis = []string{
	"internal/capacity", "internal/cluster", "internal/disruption", "internal/findings", "internal/gateway",
	"internal/healthcheck", "internal/healthgraph", "internal/healthresp", "internal/helmhistory",
	"internal/hypothesisfile", "internal/hypotheses", "internal/hypotheses/builtin", "internal/ingressclass", "internal/loss", "internal/placement",
	"internal/resources", "internal/score", "internal/certs", "internal/versioncheck", "internal/policyreport",
	"internal/versiontable", "internal/kubeversions", "internal/controllerversions",
}

// sources read the world (API server, etcd, /proc, endpoints); they never
// import the collectors that translate their results into metrics.
var sources = []string{
	"internal/kube", "internal/apitransport", "internal/healthfetch", "internal/tlsprobe", "etcd", "ingress", "internal/podcgroup", "internal/host",
}

// network is what dials: only sources may import it (net alone parses
// addresses, and analysis may).
var network = []string{"net/http", "crypto/tls", "k8s.io/client-go/kubernetes", "k8s.io/client-go/rest", "go.etcd.io/etcd/client/v3"}

// knownViolations are nevers the code still crosses, each with where it
// goes; the list may only shrink (a crossing not listed fails, and so
// does a listed one that no longer exists).
var knownViolations = map[string]string{}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func list(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "../../...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 30 {
		t.Fatalf("go list found %d packages: too few to prove anything", len(pkgs))
	}
	return pkgs
}

// The nevers of docs/architecture.md: analysis never reaches client-go
// (even through another package) nor imports the network or a source;
// sources never
// import collectors; nothing but tests imports the test environment; and
// the server never imports collectors.
func TestNevers(t *testing.T) {
	pkgs := list(t)
	crossed := map[string]bool{}
	cross := func(from, to string) {
		k := from + " -> " + to
		crossed[k] = true
		if _, known := knownViolations[k]; !known {
			t.Errorf("%s: crosses a never of docs/architecture.md", k)
		}
	}
	for _, a := range analysis {
		p, ok := pkgs[a]
		if !ok {
			t.Errorf("analysis package %s does not exist: update the list", a)
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "k8s.io/client-go/") {
				cross(a, "client-go")
				break
			}
		}
		for _, i := range p.Imports {
			if slices.Contains(network, i) {
				cross(a, i)
			}
			if name := strings.TrimPrefix(i, module); slices.Contains(sources, name) {
				cross(a, name)
			}
		}
	}
	for _, s := range sources {
		p, ok := pkgs[s]
		if !ok {
			t.Errorf("source package %s does not exist: update the list", s)
			continue
		}
		if slices.Contains(p.Deps, module+"collector") {
			cross(s, "collector")
		}
	}
	if slices.Contains(pkgs["internal/server"].Imports, module+"collector") {
		cross("internal/server", "collector")
	}
	for name, p := range pkgs {
		if name != "internal/testenv" && slices.Contains(p.Imports, module+"internal/testenv") {
			cross(name, "internal/testenv")
		}
	}
	for k, why := range knownViolations {
		if !crossed[k] {
			t.Errorf("%s (%s) no longer crosses: remove it from knownViolations", k, why)
		}
	}
}

// Every package says its one job and what it must never import, in its
// doc.go.
func TestEveryPackageSaysItsNevers(t *testing.T) {
	for name := range list(t) {
		dir := "../../" + strings.TrimPrefix(name, strings.TrimSuffix(module, "/"))
		b, err := os.ReadFile(dir + "/doc.go")
		if err != nil {
			t.Errorf("%s: no doc.go", name)
			continue
		}
		if !strings.Contains(strings.ToLower(string(b)), "never") {
			t.Errorf("%s/doc.go says nothing it must never do or import", name)
		}
	}
}
