package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
)

// sarifSchemaSource is where the test takes the SARIF 2.1.0 JSON schema
// from: OASIS's schema (errata01), as the go-sarif module (public domain)
// carries it, fetched through the Go module proxy like the CRDs the other
// tests install.
const sarifSchemaSource = "github.com/owenrumney/go-sarif/v3@v3.2.1"

// sarifSchema extracts the schema from the module's source.
func sarifSchema(t *testing.T) []byte {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", sarifSchemaSource).Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", sarifSchemaSource, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go mod download %s: %v", sarifSchemaSource, err)
	}
	src, err := os.ReadFile(filepath.Join(m.Dir, "pkg/report/v210/sarif/schema.go"))
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile("(?s)const schema = `(.*?)`").FindSubmatch(src)
	if body == nil || !bytes.Contains(body[1], []byte("Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema")) {
		t.Fatalf("no SARIF 2.1.0 schema in %s", sarifSchemaSource)
	}
	return body[1]
}

// Audit's SARIF output validates against the SARIF 2.1.0 schema; it has
// one rule per finding id (title, help, a link to its section of
// docs/findings.md, the level of its worst finding), one result per
// finding at the file and line of the object, severities mapped
// (critical error, warning warning, info note).
func TestSARIF(t *testing.T) {
	dir := t.TempDir()
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: registry.example/web:1}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-too, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
`
	path := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run([]string{path}, nil, healthcheck.Config{})
	if len(r.Findings) < 4 {
		t.Fatalf("%d findings, want several: %+v", len(r.Findings), r.Findings)
	}
	var out bytes.Buffer
	if err := r.WriteVersion(&out, "sarif", "1.2.3"); err != nil {
		t.Fatal(err)
	}

	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(sarifSchema(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("sarif-schema-2.1.0.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the SARIF output does not validate: %v\n%s", err, out.String())
	}
	// And a log that breaks the schema is refused: the check can fail.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version": "2.1.0", "runs": [{"results": []}]}`))
	if sch.Validate(bad) == nil {
		t.Error("a run without a tool validated")
	}

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					SemanticVersion string `json:"semanticVersion"`
					Rules           []struct {
						ID                   string                 `json:"id"`
						HelpURI              string                 `json:"helpUri"`
						DefaultConfiguration struct{ Level string } `json:"defaultConfiguration"`
						Help                 struct{ Text string }
					} `json:"rules"`
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				}
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.Tool.Driver.SemanticVersion != "1.2.3" {
		t.Errorf("version %q", run.Tool.Driver.SemanticVersion)
	}
	docs, err := os.ReadFile("../../docs/findings.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, rule := range run.Tool.Driver.Rules {
		if ids[rule.ID] {
			t.Errorf("rule %s listed twice", rule.ID)
		}
		ids[rule.ID] = true
		anchor, _ := strings.CutPrefix(rule.HelpURI, docsBase)
		if rule.Help.Text == "" || !bytes.Contains(docs, []byte("<a id=\""+anchor+"\"></a>")) {
			t.Errorf("rule %s: help %q, helpUri %q names no section of docs/findings.md", rule.ID, rule.Help.Text, rule.HelpURI)
		}
	}
	levels := map[Severity]string{Critical: "error", Warning: "warning", Info: "note"}
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	for i, f := range r.Findings {
		res := run.Results[i]
		loc := res.Locations[0].PhysicalLocation
		line := f.Line
		if f.Kind == "Namespace" && f.File == "" {
			line = 1 // named by the manifests only: at the namespace's first object
		}
		if res.RuleID != f.Rule || run.Tool.Driver.Rules[res.RuleIndex].ID != f.Rule || res.Level != levels[f.Severity] ||
			loc.ArtifactLocation.URI != filepath.ToSlash(path) || loc.Region.StartLine != line || line == 0 {
			t.Errorf("result %d: %+v for finding %+v", i, res, f)
		}
	}
}

// TestPolicyReportOutput: each finding is one result of its namespace's
// PolicyReport (a Namespace's own findings in that namespace's), with the
// rule, its category, the severity mapped to the report's scale, the
// object, the file and line, and the summary counts them.
func TestPolicyReportOutput(t *testing.T) {
	t.Parallel()
	r := Report{
		Findings: []Finding{
			{Rule: "placement/single-node", Severity: Warning, Kind: "Deployment", Namespace: "shop", Name: "web", File: "web.yaml", Line: 3, Message: "m1"},
			{Rule: "health/probe-port-invalid", Severity: Critical, Kind: "Deployment", Namespace: "shop", Name: "web", Message: "m2"},
			{Rule: "resources/no-resourcequota", Severity: Info, Kind: "Namespace", Name: "pay", Message: "m3"},
			{Rule: "certificates/webhook-ca-expiring", Severity: Warning, Kind: "ValidatingWebhookConfiguration", Name: "policy", Message: "m4"},
		},
		Ignored: []Finding{{Rule: "disruption/no-pdb", Severity: Warning, Kind: "Deployment", Namespace: "shop", Name: "batch", Message: "m5", Ignored: "annotation: batch job"}},
	}
	var b bytes.Buffer
	if err := r.writePolicyReports(&b, time.Unix(1764000000, 5)); err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: wgpolicyk8s.io/v1alpha2
kind: ClusterPolicyReport
metadata:
  labels:
    app.kubernetes.io/managed-by: kube-reliability-exporter
  name: kube-reliability
results:
- category: certificates
  message: m4
  policy: kube-reliability-exporter
  resources:
  - apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingWebhookConfiguration
    name: policy
  result: fail
  rule: certificates/webhook-ca-expiring
  scored: true
  severity: medium
  source: kube-reliability-exporter
  timestamp:
    nanos: 5
    seconds: 1764000000
summary:
  error: 0
  fail: 1
  pass: 0
  skip: 0
  warn: 0
---
apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata:
  labels:
    app.kubernetes.io/managed-by: kube-reliability-exporter
  name: kube-reliability
  namespace: pay
results:
- category: resources
  message: m3
  policy: kube-reliability-exporter
  resources:
  - apiVersion: v1
    kind: Namespace
    name: pay
  result: fail
  rule: resources/no-resourcequota
  scored: true
  severity: info
  source: kube-reliability-exporter
  timestamp:
    nanos: 5
    seconds: 1764000000
summary:
  error: 0
  fail: 1
  pass: 0
  skip: 0
  warn: 0
---
apiVersion: wgpolicyk8s.io/v1alpha2
kind: PolicyReport
metadata:
  labels:
    app.kubernetes.io/managed-by: kube-reliability-exporter
  name: kube-reliability
  namespace: shop
results:
- category: disruption
  message: 'm5 (accepted: annotation: batch job)'
  policy: kube-reliability-exporter
  resources:
  - apiVersion: apps/v1
    kind: Deployment
    name: batch
    namespace: shop
  result: skip
  rule: disruption/no-pdb
  scored: true
  severity: medium
  source: kube-reliability-exporter
  timestamp:
    nanos: 5
    seconds: 1764000000
- category: health
  message: m2
  policy: kube-reliability-exporter
  resources:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    namespace: shop
  result: fail
  rule: health/probe-port-invalid
  scored: true
  severity: critical
  source: kube-reliability-exporter
  timestamp:
    nanos: 5
    seconds: 1764000000
- category: placement
  message: m1
  policy: kube-reliability-exporter
  properties:
    file: web.yaml
    line: "3"
  resources:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    namespace: shop
  result: fail
  rule: placement/single-node
  scored: true
  severity: medium
  source: kube-reliability-exporter
  timestamp:
    nanos: 5
    seconds: 1764000000
summary:
  error: 0
  fail: 2
  pass: 0
  skip: 1
  warn: 0
`
	if b.String() != want {
		t.Errorf("policy reports:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := (Report{}).writePolicyReports(&b, time.Unix(0, 0)); err != nil || b.Len() != 0 {
		t.Errorf("no findings: %q %v, want nothing", b.String(), err)
	}
}
