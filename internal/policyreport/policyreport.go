package policyreport

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
)

const (
	// APIVersion is the reports' API version.
	APIVersion = "wgpolicyk8s.io/v1alpha2"
	// Name names every report the exporter writes.
	Name = "kube-reliability"
	// Source is the results' policy and source, and the value of the
	// ManagedBy label that marks the reports as the exporter's.
	Source = "kube-reliability-exporter"
	// ManagedBy is that label's key.
	ManagedBy = "app.kubernetes.io/managed-by"
)

// Report is one PolicyReport or ClusterPolicyReport.
type Report struct {
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
func policySeverity(s findings.Severity) string {
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

// Build returns the findings (and the accepted ones, as skip) as
// PolicyReports and a ClusterPolicyReport, namespaces in order; none when
// there is nothing to report.
func Build(active, ignored []findings.Finding, now time.Time) []Report {
	byNS := map[string][]policyResult{}
	add := func(f findings.Finding, result string) {
		ns := f.Namespace
		if f.Kind == "Namespace" && ns == "" {
			ns = f.Name
		}
		category, _, _ := strings.Cut(f.Rule, "/")
		msg := f.Message
		if f.Ignored != "" {
			msg += " (accepted: " + f.Ignored + ")"
		}
		res := policyResult{Policy: Source, Rule: f.Rule, Category: category, Severity: policySeverity(f.Severity),
			Result: result, Scored: true, Source: Source, Message: msg,
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
	for _, f := range active {
		add(f, "fail")
	}
	for _, f := range ignored {
		add(f, "skip")
	}
	namespaces := make([]string, 0, len(byNS))
	for ns := range byNS {
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	var out []Report
	for _, ns := range namespaces {
		results := byNS[ns]
		slices.SortStableFunc(results, func(a, b policyResult) int {
			return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Resources[0].Kind, b.Resources[0].Kind), cmp.Compare(a.Resources[0].Name, b.Resources[0].Name))
		})
		rep := Report{APIVersion: APIVersion, Kind: "PolicyReport",
			Metadata: policyReportMeta{Name: Name, Namespace: ns,
				Labels: map[string]string{ManagedBy: Source}},
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
