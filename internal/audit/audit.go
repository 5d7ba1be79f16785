package audit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/ingressclass"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
	"github.com/kube-reliability/kube-reliability-exporter/internal/manifest"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
	"github.com/kube-reliability/kube-reliability-exporter/internal/resources"
	"github.com/kube-reliability/kube-reliability-exporter/internal/score"
)

// now is the clock expiries are judged against (tests set it).
var now = time.Now

// The findings' types and rules live in internal/findings (the live
// score applies them too); these names keep audit's API.
type (
	Severity = findings.Severity
	Finding  = findings.Finding
)

// Severities, lowest first.
const (
	Info     = findings.Info
	Warning  = findings.Warning
	Critical = findings.Critical
	Never    = findings.Never
)

// ParseSeverity parses info, warning, critical or never.
func ParseSeverity(name string) (Severity, error) { return findings.ParseSeverity(name) }

// Report is the outcome of one audit.
type Report struct {
	Findings []Finding `json:"findings"`
	// Errors are documents that could not be decoded; everything else was
	// still analyzed.
	Errors []string `json:"errors"`
	// Objects counts decoded objects analysis read.
	Objects int `json:"objects"`
	// NotAnalysed lists the well-formed objects of kinds no analysis
	// reads (ConfigMaps, CronJobs, CRDs…, and kinds in removed API
	// versions, which are findings too): never silently dropped.
	NotAnalysed []NotAnalysed `json:"not_analysed"`
	// Score is the reliability score of the input (internal/score), as
	// central exports it for a live cluster.
	Score Score `json:"score"`
	// Ignored are the findings accepted by an ignore annotation or an
	// exemption, each with why: they neither fail the audit nor weigh
	// in the score.
	Ignored []Finding `json:"ignored"`
}

// Score is the reliability score in a report.
type Score struct {
	Cluster    float64          `json:"cluster"`
	Workloads  int              `json:"workloads"`
	Namespaces []NamespaceScore `json:"namespaces"`
}

// NamespaceScore is one namespace's score.
type NamespaceScore struct {
	Namespace string  `json:"namespace"`
	Workloads int     `json:"workloads"`
	Penalty   float64 `json:"penalty"`
	Score     float64 `json:"score"`
}

// NotAnalysed is an object the audit read but did not analyse.
type NotAnalysed struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	File       string `json:"file"`
	Line       int    `json:"line"`
}

// Run decodes the paths, analyzes them and returns the report. Namespaces
// in excluded are left out of the requests/limits and quota findings.
func Run(paths []string, excluded []string, health healthcheck.Config) Report {
	return RunWith(paths, Options{Excluded: excluded, Health: health})
}

// Options are an audit's settings.
type Options struct {
	// Excluded namespaces are left out of the requests/limits and quota
	// findings.
	Excluded []string
	Health   healthcheck.Config
	// Exemptions accept findings, as objects' ignore annotations do.
	Exemptions []findings.Exemption
}

// RunWith is Run with every option.
func RunWith(paths []string, o Options) Report {
	dec := manifest.DecodePaths(paths)
	r := Report{Objects: len(dec.Objects), Errors: []string{}, Findings: []Finding{}, NotAnalysed: []NotAnalysed{}, Ignored: []Finding{}}
	for _, e := range dec.Errors {
		r.Errors = append(r.Errors, e.Error())
	}
	var found []Finding
	r.NotAnalysed, found = notAnalysed(dec.Skipped)
	objs, dups := dedupe(dec.Objects)
	found = append(found, dups...)
	r.Objects = len(objs)
	raw := manifest.Snapshot(objs)
	// A workload whose pods the input does not hold is analysed on the
	// pods its template would make; each workload on its own.
	snap := cluster.WithTemplatePods(raw)
	found = append(found, analyse(raw, snap, o)...)
	where := map[[3]string]manifest.Object{}
	for _, o := range objs {
		if m, ok := o.Obj.(interface {
			GetNamespace() string
			GetName() string
		}); ok {
			where[[3]string{o.Obj.GetObjectKind().GroupVersionKind().Kind, m.GetNamespace(), m.GetName()}] = o
		}
	}
	ignores := findings.Ignores{Exemptions: o.Exemptions, Annotations: findings.AnnotationsOf(raw)}
	for _, f := range found {
		if o, ok := where[[3]string{f.Kind, f.Namespace, f.Name}]; ok && f.File == "" {
			f.File, f.Line = o.File, o.Line
		}
		if why := ignores.Why(f); why != "" {
			f.Ignored = why
			r.Ignored = append(r.Ignored, f)
			continue
		}
		r.Findings = append(r.Findings, f)
	}
	byPlace := func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule))
	}
	slices.SortFunc(r.Findings, byPlace)
	slices.SortFunc(r.Ignored, byPlace)
	sc := score.Compute(score.Workloads(snap), r.Findings)
	r.Score = Score{Cluster: sc.Cluster.Score, Workloads: sc.Cluster.Workloads, Namespaces: []NamespaceScore{}}
	for _, n := range sc.Namespaces {
		r.Score.Namespaces = append(r.Score.Namespaces, NamespaceScore{Namespace: n.Name, Workloads: n.Workloads, Penalty: n.Penalty, Score: n.Score})
	}
	return r
}

// notAnalysed lists the objects of kinds not analysed, each once however
// many files hold it, and what is wrong with them all the same: a
// ReplicationController, an API version Kubernetes no longer serves.
func notAnalysed(skipped []manifest.Skipped) ([]NotAnalysed, []Finding) {
	out := []NotAnalysed{}
	var found []Finding
	seen := map[string]bool{}
	for _, s := range skipped {
		group, _, _ := strings.Cut(s.APIVersion, "/")
		if !strings.Contains(s.APIVersion, "/") {
			group = ""
		}
		id := group + "/" + s.Kind + "/" + s.Namespace + "/" + s.Name
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, NotAnalysed{APIVersion: s.APIVersion, Kind: s.Kind, Namespace: s.Namespace, Name: s.Name, File: s.File, Line: s.Line})
		if s.Kind == "ReplicationController" && s.APIVersion == "v1" {
			found = append(found, Finding{Rule: "workload/replicationcontroller", Severity: Warning, Kind: s.Kind, Namespace: s.Namespace, Name: s.Name,
				File: s.File, Line: s.Line, Message: "superseded by Deployments: no declarative rolling update or revision history (not analysed)"})
		}
		if rm, ok := manifest.Removed(s.APIVersion, s.Kind); ok {
			use := ""
			if rm.Use != "" {
				use = "; use " + rm.Use
			}
			found = append(found, Finding{Rule: "api/removed-version", Severity: Warning, Kind: s.Kind, Namespace: s.Namespace, Name: s.Name,
				File: s.File, Line: s.Line,
				Message: fmt.Sprintf("%s is not served from Kubernetes %s on, so applying it fails there%s (not analysed)", s.APIVersion, rm.RemovedIn, use)})
		}
	}
	return out, found
}

// analyse runs every analysis the live side runs over the input: raw as
// it is (a cluster dump's nodes and pods), snap with template pods.
func analyse(raw, snap *cluster.Snapshot, o Options) []Finding {
	var found []Finding
	if len(raw.Nodes) > 0 {
		// A cluster dump: what its nodes hold now, not template pods.
		found = append(found, findings.Capacity(capacity.Analyze(raw))...)
	}
	found = append(found, findings.Objects(raw)...)
	found = append(found, findings.Placement(placement.Analyze(snap))...)
	found = append(found, findings.Disruption(disruption.Analyze(snap))...)
	found = append(found, findings.Resources(resources.Analyze(snap, o.Excluded))...)
	found = append(found, findings.Autoscaling(snap, loss.Analyze(snap))...)
	found = append(found, findings.Ingresses(ingressclass.Analyze(snap))...)
	found = append(found, findings.Certificates(certs.Webhooks(snap), snap.Ingresses, now())...)
	// Static: probe specs and annotations; no endpoint is read.
	found = append(found, findings.Health(healthcheck.Analyze(snap, o.Health, nil))...)
	return found
}

// Failed reports whether the audit should exit non-zero: a finding at or
// above failOn, a score below minScore, or input that could not be
// decoded.
func (r Report) Failed(failOn Severity, minScore float64) bool {
	if len(r.Errors) > 0 || r.Score.Cluster < minScore {
		return true
	}
	for _, f := range r.Findings {
		if f.Severity >= failOn {
			return true
		}
	}
	return false
}

// Write prints the report as "text", "json" or "sarif" (SARIF 2.1.0, for
// code scanning; version names the tool's version in it).
func (r Report) Write(w io.Writer, format string) error { return r.WriteVersion(w, format, "") }

// WriteVersion is Write with the tool's version for SARIF.
func (r Report) WriteVersion(w io.Writer, format, version string) error {
	switch format {
	case "sarif":
		return r.writeSARIF(w, version)
	case "policyreport":
		return r.writePolicyReports(w, time.Now())
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.writeText(w)
}

// printer writes lines and keeps the first error, so a report is written
// without an error check per line.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// writeText writes the report for people: each error and finding on its
// line, what was not analysed or accepted, the counts, and the score line
// (none when part of the input could not be read).
func (r Report) writeText(w io.Writer) error {
	p := &printer{w: w}
	for _, e := range r.Errors {
		p.printf("error: %s\n", e)
	}
	for _, f := range r.Findings {
		p.printf("%s%s %s %s: %s\n", location(f), f.Severity, f.Rule, objectName(f), f.Message)
	}
	r.writeNotAnalysed(p)
	r.writeIgnored(p)
	p.printf("%d objects analyzed, %d not analysed, %d findings, %d documents not decoded\n", r.Objects, len(r.NotAnalysed), len(r.Findings), len(r.Errors))
	if len(r.Errors) > 0 {
		// Part of the input is missing: a score over the rest would
		// read as a verdict on all of it.
		p.printf("no score: %d documents could not be read, parsed or rendered (above)\n", len(r.Errors))
		return p.err
	}
	p.printf("%s\n", r.scoreLine())
	return p.err
}

// location is "file:line: ", "file: " or "" (an object from stdin without
// a line, or from a cluster).
func location(f Finding) string {
	switch {
	case f.Line > 0:
		return fmt.Sprintf("%s:%d: ", f.File, f.Line)
	case f.File != "":
		return f.File + ": "
	}
	return ""
}

// objectName is namespace/kind/name, or kind/name when cluster-scoped.
func objectName(f Finding) string {
	if f.Namespace == "" {
		return f.Kind + "/" + f.Name
	}
	return f.Namespace + "/" + f.Kind + "/" + f.Name
}

// writeNotAnalysed counts the objects of kinds not analysed, by kind.
func (r Report) writeNotAnalysed(p *printer) {
	kinds := map[string]int{}
	for _, n := range r.NotAnalysed {
		kinds[n.APIVersion+" "+n.Kind]++
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		p.printf("not analysed: %d %s\n", kinds[k], k)
	}
}

// writeIgnored counts the accepted findings, by how they were accepted.
func (r Report) writeIgnored(p *printer) {
	if len(r.Ignored) == 0 {
		return
	}
	why := map[string]int{}
	for _, f := range r.Ignored {
		k := "annotation"
		if strings.HasPrefix(f.Ignored, "exemption") {
			k = "exemptions"
		}
		why[k]++
	}
	parts := []string{}
	for _, k := range slices.Sorted(maps.Keys(why)) {
		parts = append(parts, fmt.Sprintf("%d by %s", why[k], k))
	}
	p.printf("ignored: %d findings (%s; listed with json or sarif)\n", len(r.Ignored), strings.Join(parts, ", "))
}

// scoreLine is the cluster's score, then each namespace's, lowest first.
func (r Report) scoreLine() string {
	ns := slices.Clone(r.Score.Namespaces)
	slices.SortStableFunc(ns, func(a, b NamespaceScore) int { return cmp.Compare(a.Score, b.Score) })
	line := fmt.Sprintf("score: %s/100 over %d workloads", formatScore(r.Score.Cluster), r.Score.Workloads)
	for i, n := range ns {
		sep := ", "
		if i == 0 {
			sep = "; "
		}
		line += sep + n.Namespace + " " + formatScore(n.Score)
	}
	return line
}

func formatScore(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
