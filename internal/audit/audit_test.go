package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"

	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
)

func TestPlacementFindings(t *testing.T) {
	t.Parallel()
	res := placement.Result{Workloads: []placement.Workload{
		{Kind: "Deployment", Namespace: "a", Name: "unspread", DesiredReplicas: 2},
		{Kind: "Deployment", Namespace: "a", Name: "single", DesiredReplicas: 1},
		{Kind: "StatefulSet", Namespace: "a", Name: "packed", DesiredReplicas: 3, ReadyReplicas: 3, SingleNode: true, SingleZone: true, EligibleZones: 2, Policies: placement.PreferredAntiAffinity},
	}}
	var got []string
	for _, f := range findings.Placement(res) {
		got = append(got, f.Name+":"+f.Rule+":"+f.Severity.String())
	}
	want := "unspread:placement/no-spread-policy:warning single:placement/single-replica:warning packed:placement/single-node:warning packed:placement/single-zone:warning"
	if strings.Join(got, " ") != want {
		t.Errorf("findings %v\nwant %s", got, want)
	}
}

func TestFailedAndSeverities(t *testing.T) {
	t.Parallel()
	r := Report{Findings: []Finding{{Severity: Warning}}}
	for _, tt := range []struct {
		failOn string
		want   bool
	}{{"info", true}, {"warning", true}, {"critical", false}, {"never", false}} {
		s, err := ParseSeverity(tt.failOn)
		if err != nil {
			t.Fatal(err)
		}
		if r.Failed(s, 0) != tt.want {
			t.Errorf("fail-on %s: %v, want %v", tt.failOn, !tt.want, tt.want)
		}
	}
	if _, err := ParseSeverity("loud"); err == nil {
		t.Error("unknown severity accepted")
	}
	if !(Report{Errors: []string{"x"}}).Failed(Never, 0) {
		t.Error("undecodable input must fail the audit even with fail-on never")
	}
	var b bytes.Buffer
	if err := r.Write(&b, "text"); err != nil || !strings.Contains(b.String(), "1 findings") {
		t.Errorf("text report %q %v", b.String(), err)
	}
}

// TestAuditHealth: the static part of the health graph, from manifests:
// a cycle declared by annotations, a liveness probe that curls another
// Service, liveness identical to readiness.
func TestAuditHealth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: shop, annotations: {health.kube-reliability.io/depends-on: "b"}}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
        - name: app
          image: i
          livenessProbe: {exec: {command: [sh, -c, "curl -sf http://c.shop.svc.cluster.local/health"]}}
          readinessProbe: {httpGet: {path: /ping, port: 8080}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: shop, annotations: {health.kube-reliability.io/depends-on: "shop/a"}}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec:
      containers:
        - name: app
          image: i
          livenessProbe: {httpGet: {path: /health, port: 8080}}
          readinessProbe: {httpGet: {path: /health, port: 8080}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: c, namespace: shop}
spec:
  selector: {matchLabels: {app: c}}
  template:
    metadata: {labels: {app: c}}
    spec:
      containers:
        - {name: app, image: i, livenessProbe: {tcpSocket: {port: 80}}, readinessProbe: {tcpSocket: {port: 81}}}
`
	for _, name := range []string{"a", "b", "c"} {
		manifest += "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: shop}\nspec: {selector: {app: " + name + "}}\n"
	}
	path := filepath.Join(dir, "health.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run([]string{path}, nil, healthcheck.Config{})
	var got []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "health/") {
			got = append(got, f.Name+":"+f.Rule)
		}
	}
	slices.Sort(got)
	want := []string{"a:health/dependency-cycle", "a:health/liveness-checks-dependencies", "b:health/dependency-cycle", "b:health/liveness-same-as-readiness"}
	if !slices.Equal(got, want) {
		t.Errorf("health findings %v, want %v (errors %v)", got, want, r.Errors)
	}
}

// Each workload's verdicts are its own: a Deployment under two
// overlapping PDBs is critical alone, and stays critical (with the same
// findings) when the directory also holds a bare Pod elsewhere or another
// workload's pods. It once turned into two false pdb-selects-nothing
// infos and a passing CI gate.
func TestAuditMixedInputsKeepEachWorkloadsVerdicts(t *testing.T) {
	t.Parallel()
	web := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: web-uid}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec: {containers: [{name: app, image: i}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: by-app, namespace: shop}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: by-tier, namespace: shop}
spec: {maxUnavailable: 1, selector: {matchLabels: {tier: front}}}
`
	bare := `
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: tools}
spec: {containers: [{name: sh, image: busybox}]}
`
	// A workload whose pods the input (a kubectl dump) does hold.
	withPods := `
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data, uid: db-uid}
spec:
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: data
  labels: {app: db}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: db-uid, controller: true}]
spec: {nodeName: n1, containers: [{name: db, image: i}]}
`
	verdicts := func(input string) ([]string, bool) {
		r := auditYAML(t, input)
		var got []string
		for _, f := range r.Findings {
			if f.Namespace == "shop" && strings.HasPrefix(f.Rule, "disruption/") {
				got = append(got, f.Kind+"/"+f.Name+":"+f.Rule+":"+f.Severity.String())
			}
		}
		slices.Sort(got)
		return got, r.Failed(Warning, 0)
	}
	// The same objects as a kubectl get -A -o yaml dump: one List.
	dump := "apiVersion: v1\nkind: List\nitems:\n"
	for _, doc := range strings.Split(web+bare+withPods, "\n---\n") {
		if doc = strings.TrimSpace(doc); doc != "" {
			dump += "- " + strings.ReplaceAll(doc, "\n", "\n  ") + "\n"
		}
	}
	want := []string{"Deployment/web:disruption/multiple-pdbs:warning"}
	for name, input := range map[string]string{"alone": web, "with a bare pod": web + bare, "with another workload's pods": web + withPods, "all": web + bare + withPods,
		"all, as a kubectl List dump": dump} {
		got, failed := verdicts(input)
		if !slices.Equal(got, want) || !failed {
			t.Errorf("%s: disruption findings %v (fails the gate: %v), want %v and a failing gate", name, got, failed, want)
		}
	}
}

// Objects the audit does not analyse are named, never dropped: a
// policy/v1beta1 PDB (removed in 1.25) is a finding with its file and
// line, and every unanalysed object is listed and counted in the summary.
func TestAuditNamesWhatItDoesNotAnalyse(t *testing.T) {
	t.Parallel()
	input := `apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: old, namespace: shop}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: i}], restartPolicy: Never}}}}}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: legacy, namespace: shop}
`
	r := auditYAML(t, input)
	var removed []string
	for _, f := range r.Findings {
		if f.Rule == "api/removed-version" {
			removed = append(removed, fmt.Sprintf("%s:%d %s/%s %s", filepath.Base(f.File), f.Line, f.Kind, f.Name, f.Message))
		}
	}
	want := []string{
		"app.yaml:1 PodDisruptionBudget/old policy/v1beta1 is not served from Kubernetes 1.25 on, so applying it fails there; use policy/v1 (not analysed)",
		"app.yaml:11 Ingress/legacy extensions/v1beta1 is not served from Kubernetes 1.22 on, so applying it fails there; use networking.k8s.io/v1 (not analysed)",
	}
	if !slices.Equal(removed, want) {
		t.Errorf("removed-version findings\n%s\nwant\n%s", strings.Join(removed, "\n"), strings.Join(want, "\n"))
	}
	if len(r.NotAnalysed) != 3 || r.NotAnalysed[1].Kind != "CronJob" || r.NotAnalysed[1].Name != "nightly" || r.NotAnalysed[1].Line != 6 {
		t.Errorf("not analysed %+v", r.NotAnalysed)
	}
	var b bytes.Buffer
	if err := r.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"not analysed: 1 batch/v1 CronJob", "not analysed: 1 policy/v1beta1 PodDisruptionBudget", "0 objects analyzed, 3 not analysed, 2 findings, 0 documents not decoded"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("text report misses %q:\n%s", line, b.String())
		}
	}
}

// A probe on a port the container does not declare fails in the kubelet
// every time: a critical finding, also for a bare Pod's probes.
func TestAuditProbePorts(t *testing.T) {
	t.Parallel()
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: app
          image: i
          ports: [{name: http, containerPort: 8080}]
          livenessProbe: {httpGet: {path: /health, port: admin}}
          readinessProbe: {httpGet: {path: /ready, port: http}}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: tools}
spec:
  containers:
    - {name: sh, image: busybox, ports: [{containerPort: 53, protocol: UDP}], readinessProbe: {tcpSocket: {port: 53}}}
`
	r := auditYAML(t, input)
	var got []string
	for _, f := range r.Findings {
		if f.Rule == "health/probe-port-invalid" {
			got = append(got, fmt.Sprintf("%s %s/%s/%s: %s", f.Severity, f.Namespace, f.Kind, f.Name, f.Message))
		}
	}
	want := []string{
		"critical shop/Deployment/api: container app's liveness probe targets a port the kubelet cannot reach (undeclared_named_port): the probe fails every time",
		"critical tools/Pod/debug: container sh's readiness probe targets a port the kubelet cannot reach (udp_port): the probe fails every time",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Replicas as they really are: an autoscaled Deployment with replicas
// unset and minReplicas 3 is a 3-replica workload (no spread, no PDB:
// findings), one with minReplicas 1 may become a single replica, a
// manifest fixing replicas under an autoscaler resets it on every apply,
// and Recreate behind a Service is an outage per rollout.
func TestAuditAutoscaledWorkloads(t *testing.T) {
	t.Parallel()
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template: {metadata: {labels: {app: api}}, spec: {containers: [{name: app, image: i}]}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}, minReplicas: 3, maxReplicas: 10}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  strategy: {type: Recreate}
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: i}]}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 5}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
`
	r := auditYAML(t, input)
	var got []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "autoscaling/") || strings.HasPrefix(f.Rule, "rollout/") ||
			f.Rule == "placement/no-spread-policy" || f.Rule == "disruption/no-pdb" || f.Rule == "placement/single-replica" {
			got = append(got, f.Name+":"+f.Rule)
		}
	}
	slices.Sort(got)
	want := []string{
		"api:disruption/no-pdb", "api:placement/no-spread-policy",
		"web:autoscaling/min-one", "web:autoscaling/static-replicas", "web:disruption/no-pdb", "web:placement/no-spread-policy",
		"web:rollout/recreate-behind-service",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A PDB against its workload's autoscaler: minAvailable 3 while the HPA
// may scale the Deployment down to 2 (it runs 4 now): drains are fine
// today and hang whenever it scales in.
func TestAuditPDBVersusAutoscaler(t *testing.T) {
	t.Parallel()
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: api}}
  template: {metadata: {labels: {app: api}}, spec: {containers: [{name: app, image: i}]}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}, minReplicas: 2, maxReplicas: 10}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec: {minAvailable: 3, selector: {matchLabels: {app: api}}}
`
	r := auditYAML(t, input)
	var got []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "disruption/") {
			got = append(got, f.Kind+"/"+f.Name+":"+f.Rule)
		}
	}
	if want := []string{"PodDisruptionBudget/api:disruption/pdb-vs-autoscaler"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

// auditYAML audits input as one manifest file in a directory of its own.
func auditYAML(t *testing.T, input string) Report {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	return Run([]string{dir}, nil, healthcheck.Config{})
}

// kube-linter's false positive, reproduced: a Deployment with replicas
// unset (1) and a 50% PDB looks like it blocks every drain (50% of 1 is
// 1); its KEDA ScaledObject keeps at least 4 replicas, 2 of which may go.
// A second ScaledObject scales to zero; a third targets a Deployment that
// sets replicas (every apply resets KEDA's choice).
func TestAuditKEDAScaledObjects(t *testing.T) {
	t.Parallel()
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: jobs}
spec:
  selector: {matchLabels: {app: worker}}
  template: {metadata: {labels: {app: worker}}, spec: {containers: [{name: app, image: i}]}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: worker, namespace: jobs}
spec: {minAvailable: 50%, selector: {matchLabels: {app: worker}}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker, namespace: jobs}
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: 4
  maxReplicaCount: 20
  triggers: [{type: cpu, metricType: Utilization, metadata: {value: "60"}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: idle, namespace: jobs}
spec:
  replicas: 2
  selector: {matchLabels: {app: idle}}
  template: {metadata: {labels: {app: idle}}, spec: {containers: [{name: app, image: i}]}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: idle, namespace: jobs}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: idle}
  triggers: [{type: kafka, metadata: {topic: t}}]
`
	r := auditYAML(t, input)
	var got []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "disruption/") || strings.HasPrefix(f.Rule, "autoscaling/") || f.Rule == "placement/single-replica" {
			got = append(got, f.Kind+"/"+f.Name+":"+f.Rule+": "+f.Message)
		}
	}
	slices.Sort(got)
	want := []string{
		"Deployment/idle:autoscaling/min-one: its ScaledObject idle has minReplicaCount 0: it may scale down to no replica at all while idle (the first request waits for a pod), which one node loss, rollout or eviction takes down",
		"Deployment/idle:autoscaling/static-replicas: sets spec.replicas while ScaledObject idle scales it: every apply of this manifest resets the replicas KEDA chose",
		"Deployment/idle:disruption/no-pdb: 2 replicas and no PodDisruptionBudget: a node drain may evict them all at once",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without the ScaledObject, the same PDB blocks every drain.
	r = auditYAML(t, input[:strings.Index(input, "---\napiVersion: keda.sh")])
	blocks := false
	for _, f := range r.Findings {
		blocks = blocks || (f.Rule == "disruption/pdb-blocks-drain" && f.Name == "worker")
	}
	if !blocks {
		t.Error("without its ScaledObject, worker's 50% PDB of 1 replica does not block drains")
	}
}

// A ScaledObject without a target, or with a negative minimum, is an error
// naming the file and line; the rest of the input is still audited.
func TestAuditBadScaledObject(t *testing.T) {
	t.Parallel()
	r := auditYAML(t, "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: a}\nspec: {scaleTargetRef: {kind: Deployment}}\n---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: b}\nspec: {scaleTargetRef: {name: x}, minReplicaCount: -1}\n")
	errs := r.Errors
	want := []string{"decode ScaledObject: spec.scaleTargetRef.name is required", "decode ScaledObject: spec.minReplicaCount -1 is negative"}
	if len(errs) != 2 || !strings.Contains(errs[0], want[0]) || !strings.Contains(errs[1], want[1]) || !strings.Contains(errs[1], "app.yaml:6") {
		t.Errorf("errors %q, want %q at app.yaml:1 and :6", errs, want)
	}
}

// The score of an audit, exactly: shop holds web (2 replicas): no spread
// policy, no PDB, no cpu and no memory request, no memory limit (5
// warnings), no liveness probe, and the namespace has no quota and no
// LimitRange (3 infos). W = 1, P = 5 + 0.75: 100 × 1/6.75 = 14.8. The same
// line in text, and RELIABILITY_AUDIT_MIN_SCORE failing below it.
func TestAuditScore(t *testing.T) {
	t.Parallel()
	r := auditYAML(t, `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: i, readinessProbe: {httpGet: {path: /ping, port: 8080}}}]}
`)
	count := map[Severity]int{}
	for _, f := range r.Findings {
		count[f.Severity]++
	}
	const want = 14.8
	if count[Warning] != 5 || count[Info] != 3 || r.Score.Cluster != want || r.Score.Workloads != 1 ||
		!reflect.DeepEqual(r.Score.Namespaces, []NamespaceScore{{Namespace: "shop", Workloads: 1, Penalty: 5.75, Score: want}}) {
		t.Errorf("findings %v, score %+v; want 5 warnings, 3 infos, %v", count, r.Score, want)
	}
	var b bytes.Buffer
	if err := r.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	const line = "score: 14.8/100 over 1 workloads; shop 14.8\n"
	if !strings.HasSuffix(b.String(), line) {
		t.Errorf("text report ends\n%s\nwant the line %q", b.String(), line)
	}
	if r.Failed(Never, want) || !r.Failed(Never, want+0.1) {
		t.Errorf("min score: %v fails at %v, or passes at %v", want, want, want+0.1)
	}
}

// From manifests alone: replicas pinned to one zone cannot survive it.
func TestAuditPinnedToOneZone(t *testing.T) {
	t.Parallel()
	r := auditYAML(t, `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: db}
spec:
  replicas: 3
  serviceName: pg
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec:
      nodeSelector: {topology.kubernetes.io/zone: eu-west-1a}
      topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: pg}}}]
      containers: [{name: pg, image: postgres}]
`)
	var got []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "placement/") {
			got = append(got, f.Rule+": "+f.Message)
		}
	}
	want := []string{"placement/pinned-to-one-zone: 3 replicas that may only run in zone eu-west-1a (nodeSelector or required node affinity): that zone's loss takes them all down"}
	if !slices.Equal(got, want) {
		t.Errorf("placement findings %q, want %q", got, want)
	}
}

// Certificates from manifests: a Fail webhook whose caBundle expires in 5
// days is critical, an Ignore one a warning, an expired one critical, a
// garbage bundle a warning; an Ingress TLS entry without hosts is noted.
func TestAuditCertificates(t *testing.T) {
	t.Parallel()
	b64 := func(c testcerts.Cert) string {
		return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw}))
	}
	root := testcerts.NewCA(t, "root")
	soon := root.Intermediate(t, "soon", time.Now().Add(5*24*time.Hour))
	old := root.Intermediate(t, "old", time.Now().Add(-24*time.Hour))
	r := auditYAML(t, fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: policy}
webhooks:
- name: strict.policy.example
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {service: {namespace: policy, name: webhook}, caBundle: %[1]s}
- name: lenient.policy.example
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig: {service: {namespace: policy, name: webhook}, caBundle: %[1]s}
- name: fine.policy.example
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {service: {namespace: policy, name: webhook}, caBundle: %[2]s}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: inject}
webhooks:
- name: old.inject.example
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "https://127.0.0.1:9443/", caBundle: %[3]s}
- name: garbage.inject.example
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "https://127.0.0.1:9443/", caBundle: %[4]s}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{secretName: web-tls}]
  defaultBackend: {service: {name: web, port: {number: 80}}}
`, b64(soon.Cert), b64(root.Cert), b64(old.Cert), base64.StdEncoding.EncodeToString([]byte("garbage"))))
	var got []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Rule, "certificates/") || f.Rule == "ingress/tls-without-hosts" {
			got = append(got, f.Severity.String()+" "+f.Rule+" "+f.Kind+"/"+f.Name+": "+strings.SplitN(f.Message, ":", 2)[0])
		}
	}
	slices.Sort(got)
	want := []string{
		"critical certificates/webhook-ca-expired MutatingWebhookConfiguration/inject: webhook old.inject.example",
		"critical certificates/webhook-ca-expiring ValidatingWebhookConfiguration/policy: webhook strict.policy.example",
		"info ingress/tls-without-hosts Ingress/web: a TLS entry (secret \"web-tls\") names no host",
		"warning certificates/webhook-ca-expiring ValidatingWebhookConfiguration/policy: webhook lenient.policy.example",
		"warning certificates/webhook-ca-invalid MutatingWebhookConfiguration/inject: webhook garbage.inject.example",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s\nerrors %v", strings.Join(got, "\n"), strings.Join(want, "\n"), r.Errors)
	}
}

// An input that failed gets no score: 100/100 over the rest would read as
// a verdict on all of it.
func TestNoScoreForFailedInput(t *testing.T) {
	t.Parallel()
	r := Run([]string{filepath.Join(t.TempDir(), "missing.yaml")}, nil, healthcheck.Config{})
	var b bytes.Buffer
	if err := r.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\nscore: ") || !strings.Contains(b.String(), "no score: 1 documents could not be read") {
		t.Errorf("text report of a missing path:\n%s\nwant no score line", b.String())
	}
	if !r.Failed(Never, 0) {
		t.Error("a missing path does not fail the audit")
	}
}

// An object in several files is analysed once: each finding once, at the
// first copy, and one duplicate-object finding naming every copy (info
// when they are the same, a warning when they differ).
func TestAuditDuplicateObjects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dep := func(image string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: ` + image + `}]}
`
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a/web.yaml", dep("web:1"))
	b := write("b/web.yaml", "# the same, rendered elsewhere\n---\n"+dep("web:1"))
	r := Run([]string{dir}, nil, healthcheck.Config{})
	perRule := map[string]int{}
	for _, f := range r.Findings {
		perRule[f.Rule]++
		if f.Name != "web" {
			continue
		}
		if f.File != a || f.Line != 1 {
			t.Errorf("%s at %s:%d, want the first copy %s:1", f.Rule, f.File, f.Line, a)
		}
	}
	if perRule["disruption/no-pdb"] != 1 || perRule["placement/no-spread-policy"] != 1 {
		t.Errorf("findings per rule %v: want each once", perRule)
	}
	dup := func(r Report) Finding {
		for _, f := range r.Findings {
			if f.Rule == "input/duplicate-object" {
				return f
			}
		}
		t.Fatalf("no duplicate-object finding in %v", r.Findings)
		return Finding{}
	}
	f := dup(r)
	want := fmt.Sprintf("2 identical copies (%s:1, %s:3); analysed once", a, b)
	if f.Severity != Info || f.Message != want || f.Namespace != "default" || f.Kind != "Deployment" {
		t.Errorf("duplicate finding %+v\nwant info %q", f, want)
	}
	if r.Objects != 1 {
		t.Errorf("%d objects analysed, want 1", r.Objects)
	}
	write("b/web.yaml", dep("web:2"))
	if f := dup(Run([]string{dir}, nil, healthcheck.Config{})); f.Severity != Warning || !strings.Contains(f.Message, "differ") {
		t.Errorf("differing copies: %+v", f)
	}
}

// An ignore annotation or an exemption accepts a finding: it moves to
// Ignored with why, neither fails the audit nor weighs in the score, and
// SARIF shows it suppressed.
func TestAuditIgnores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := func(name, annotations string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: shop
  annotations: {` + annotations + `}
spec:
  replicas: 2
  selector: {matchLabels: {app: ` + name + `}}
  template:
    metadata: {labels: {app: ` + name + `}}
    spec: {containers: [{name: app, image: app:1}]}
---
`
	}
	body := doc("cart", `reliability.kube-reliability.io/ignore: "disruption/no-pdb,placement/*"`) + doc("web", "")
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	rules := func(fs []Finding, name string) []string {
		var out []string
		for _, f := range fs {
			if f.Name == name {
				out = append(out, f.Rule)
			}
		}
		slices.Sort(out)
		return out
	}
	plain := Run([]string{dir}, nil, healthcheck.Config{})
	r := RunWith([]string{dir}, Options{Exemptions: []findings.Exemption{{Rule: "health/*", Namespace: "shop", Name: "web", Reason: "probes come with the next release"}}})
	if got := rules(r.Ignored, "cart"); !slices.Equal(got, []string{"disruption/no-pdb", "placement/no-spread-policy"}) {
		t.Errorf("cart ignored %v", got)
	}
	if got := rules(r.Findings, "cart"); slices.Contains(got, "disruption/no-pdb") || !slices.Contains(got, "health/no-liveness-probe") {
		t.Errorf("cart still reports %v", got)
	}
	if got := rules(r.Ignored, "web"); !slices.Equal(got, []string{"health/no-liveness-probe", "health/no-readiness-probe"}) {
		t.Errorf("web ignored %v", got)
	}
	if !slices.Contains(rules(r.Findings, "web"), "disruption/no-pdb") {
		t.Errorf("web's own findings lost: %v", rules(r.Findings, "web"))
	}
	if len(plain.Ignored) != 2 || len(r.Findings)+len(r.Ignored) != len(plain.Findings)+len(plain.Ignored) || r.Score.Cluster <= plain.Score.Cluster {
		t.Errorf("%d kept + %d ignored, %d without ignores; score %v, without %v", len(r.Findings), len(r.Ignored), len(plain.Findings), r.Score.Cluster, plain.Score.Cluster)
	}
	for _, f := range r.Ignored {
		if f.Name == "web" && f.Ignored != "exemption: probes come with the next release" {
			t.Errorf("why %q", f.Ignored)
		}
	}
	var text, sarif bytes.Buffer
	if err := r.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "ignored: 4 findings (2 by annotation, 2 by exemptions;") {
		t.Errorf("text report:\n%s", text.String())
	}
	if err := r.Write(&sarif, "sarif"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(sarif.String(), `"kind": "inSource"`); n != 2 {
		t.Errorf("%d inSource suppressions in SARIF, want 2", n)
	}
	if n := strings.Count(sarif.String(), `"kind": "external"`); n != 2 {
		t.Errorf("%d external suppressions in SARIF, want 2", n)
	}
}

// The two verdicts a new user found wrong: a budget over one replica, and
// Recreate where it is right (a metrics-only Service, a volume one pod
// may write).
func TestAuditVerdictsOnOneReplicaAndRecreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dep := func(name string, replicas int, strategy, claim string) string {
		vol := ""
		if claim != "" {
			vol = `
      volumes: [{name: data, persistentVolumeClaim: {claimName: ` + claim + `}}]`
		}
		return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: apps}
spec:
  replicas: %d
  strategy: {type: %s}
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers: [{name: app, image: app:1}]%s
---
`, name, replicas, strategy, name, name, vol)
	}
	svc := func(name, app, port string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: apps}\nspec:\n  selector: {app: %s}\n  ports: [{name: %s, port: 80}]\n---\n", name, app, port)
	}
	claim := func(name, mode string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: %s, namespace: apps}\nspec:\n  accessModes: [%s]\n  resources: {requests: {storage: 1Gi}}\n---\n", name, mode)
	}
	body := dep("solo", 1, "RollingUpdate", "") +
		"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: solo, namespace: apps}\nspec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: solo}}\n---\n" +
		dep("exporter", 2, "Recreate", "") + svc("exporter-metrics", "exporter", "http-metrics") +
		dep("db", 1, "Recreate", "db-data") + svc("db", "db", "postgres") + claim("db-data", "ReadWriteOnce") +
		dep("shared", 2, "Recreate", "shared-data") + svc("shared", "shared", "http") + claim("shared-data", "ReadWriteMany") +
		dep("api", 2, "Recreate", "") + svc("api", "api", "http")
	if err := os.WriteFile(filepath.Join(dir, "apps.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run([]string{dir}, nil, healthcheck.Config{})
	var recreate []string
	budget := false
	for _, f := range r.Findings {
		switch f.Rule {
		case "rollout/recreate-behind-service":
			recreate = append(recreate, f.Name)
		case "disruption/pdb-allows-everything":
			budget = true
			want := "maxUnavailable 1 over 1 expected pod requires no healthy pod, so a drain evicts the only replica; a budget cannot protect one replica without blocking every drain: run two"
			if f.Name != "solo" || f.Severity != Info || f.Message != want {
				t.Errorf("budget over one replica: %s %s %q", f.Name, f.Severity, f.Message)
			}
		}
	}
	if !budget {
		t.Error("no pdb-allows-everything finding for the budget over one replica")
	}
	slices.Sort(recreate)
	if !slices.Equal(recreate, []string{"api", "shared"}) {
		t.Errorf("recreate-behind-service on %v, want api and shared (not the metrics-only exporter, not db on a ReadWriteOnce volume)", recreate)
	}
}

// What kube-score finds and the audit missed: a StatefulSet whose
// serviceName has no Service; and what both missed: a bare Pod, a
// ReplicationController.
func TestAuditObjectFindings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	body := `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db-headless
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: data}
spec:
  serviceName: cache
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: cache, image: cache:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: cache, namespace: data}
spec: {clusterIP: None, selector: {app: cache}, ports: [{port: 6379}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: data}
spec: {containers: [{name: sh, image: busybox}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: data}
spec:
  replicas: 2
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: app, image: app:1}]}
`
	if err := os.WriteFile(filepath.Join(dir, "data.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range Run([]string{dir}, nil, healthcheck.Config{}).Findings {
		if strings.HasPrefix(f.Rule, "workload/") {
			got[f.Rule] += f.Kind + "/" + f.Name + fmt.Sprintf(":%d ", f.Line)
		}
	}
	want := map[string]string{
		"workload/statefulset-service-missing": "StatefulSet/db:1 ",
		"workload/bare-pod":                    "Pod/debug:28 ",
		"workload/replicationcontroller":       "ReplicationController/legacy:33 ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings %v\nwant %v", got, want)
	}
}
