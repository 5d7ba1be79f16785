package audit

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
)

// PolicyReports: the wgpolicyk8s.io/v1alpha2 reports Kyverno's Policy
// Reporter (and the other readers of that API) show. One PolicyReport per
// namespace with findings, one ClusterPolicyReport for cluster-scoped
// objects; a Namespace's own findings (no quota, no limit range) go in
// that namespace's report.

const (
	policyReportAPIVersion = "wgpolicyk8s.io/v1alpha2"
	// PolicyReportName names every report the exporter writes.
	PolicyReportName   = "kube-reliability"
	policyReportSource = "kube-reliability-exporter"
)

type policyReport struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   policyReportMeta   `json:"metadata"`
	Summary    policyReportCounts `json:"summary"`
	Results    []policyResult     `json:"results"`
}

type policyReportMeta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace,omitempty"`
	Labels    map[string]string `json:"labels"`
}

type policyReportCounts struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Skip  int `json:"skip"`
}

type policyResult struct {
	Policy     string            `json:"policy"`
	Rule       string            `json:"rule"`
	Category   string            `json:"category"`
	Severity   string            `json:"severity"`
	Result     string            `json:"result"`
	Scored     bool              `json:"scored"`
	Source     string            `json:"source"`
	Message    string            `json:"message"`
	Timestamp  policyTimestamp   `json:"timestamp"`
	Resources  []objectReference `json:"resources"`
	Properties map[string]string `json:"properties,omitempty"`
}

type policyTimestamp struct {
	Seconds int64 `json:"seconds"`
	Nanos   int32 `json:"nanos"`
}

type objectReference struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// policySeverity maps a finding's severity to the report's
// (critical, high, medium, low, info).
func policySeverity(s Severity) string {
	switch s {
	case findings.Critical:
		return "critical"
	case findings.Warning:
		return "medium"
	}
	return "info"
}

// kindAPIVersions are the API versions of the kinds findings name, for
// the result's object reference (left out for a kind not listed).
var kindAPIVersions = map[string]string{
	"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
	"Pod": "v1", "Service": "v1", "Namespace": "v1", "ResourceQuota": "v1", "LimitRange": "v1", "ReplicationController": "v1",
	"PodDisruptionBudget": "policy/v1", "Ingress": "networking.k8s.io/v1", "IngressClass": "networking.k8s.io/v1",
	"HorizontalPodAutoscaler": "autoscaling/v2", "ScaledObject": "keda.sh/v1alpha1",
	"ValidatingWebhookConfiguration": "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration": "admissionregistration.k8s.io/v1",
	"APIService": "apiregistration.k8s.io/v1", "Node": "v1",
}

// PolicyReports returns the report's findings (and accepted ones, as
// skip) as PolicyReports and a ClusterPolicyReport, namespaces in order;
// none when there is nothing to report.
func (r Report) PolicyReports(now time.Time) []any {
	byNS := map[string][]policyResult{}
	add := func(f Finding, result string) {
		ns := f.Namespace
		if f.Kind == "Namespace" && ns == "" {
			ns = f.Name
		}
		category, _, _ := strings.Cut(f.Rule, "/")
		msg := f.Message
		if f.Ignored != "" {
			msg += " (accepted: " + f.Ignored + ")"
		}
		res := policyResult{Policy: policyReportSource, Rule: f.Rule, Category: category, Severity: policySeverity(f.Severity),
			Result: result, Scored: true, Source: policyReportSource, Message: msg,
			Timestamp: policyTimestamp{Seconds: now.Unix(), Nanos: int32(now.Nanosecond())},
			Resources: []objectReference{{APIVersion: kindAPIVersions[f.Kind], Kind: f.Kind, Namespace: f.Namespace, Name: f.Name}}}
		if f.File != "" {
			res.Properties = map[string]string{"file": f.File}
			if f.Line > 0 {
				res.Properties["line"] = strconv.Itoa(f.Line)
			}
		}
		byNS[ns] = append(byNS[ns], res)
	}
	for _, f := range r.Findings {
		add(f, "fail")
	}
	for _, f := range r.Ignored {
		add(f, "skip")
	}
	namespaces := make([]string, 0, len(byNS))
	for ns := range byNS {
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	var out []any
	for _, ns := range namespaces {
		results := byNS[ns]
		slices.SortStableFunc(results, func(a, b policyResult) int {
			return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Resources[0].Kind, b.Resources[0].Kind), cmp.Compare(a.Resources[0].Name, b.Resources[0].Name))
		})
		rep := policyReport{APIVersion: policyReportAPIVersion, Kind: "PolicyReport",
			Metadata: policyReportMeta{Name: PolicyReportName, Namespace: ns,
				Labels: map[string]string{"app.kubernetes.io/managed-by": policyReportSource}},
			Results: results}
		if ns == "" {
			rep.Kind = "ClusterPolicyReport"
		}
		for _, res := range results {
			if res.Result == "fail" {
				rep.Summary.Fail++
			} else {
				rep.Summary.Skip++
			}
		}
		out = append(out, rep)
	}
	return out
}

// writePolicyReports writes the reports as a YAML stream (kubectl apply
// -f reads it).
func (r Report) writePolicyReports(w io.Writer, now time.Time) error {
	for i, rep := range r.PolicyReports(now) {
		b, err := yaml.Marshal(rep)
		if err != nil {
			return fmt.Errorf("policy report: %w", err)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
