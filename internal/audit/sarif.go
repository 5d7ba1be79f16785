package audit

import (
	"encoding/json"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
)

// docsBase is where each rule's section lives (docs/findings.md).
const docsBase = "https://github.com/kube-reliability/kube-reliability-exporter/blob/main/docs/findings.md#"

// sarifLevel maps a severity to SARIF's levels.
func sarifLevel(s Severity) string {
	switch s {
	case findings.Critical:
		return "error"
	case findings.Warning:
		return "warning"
	}
	return "note"
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	HelpURI              string            `json:"helpUri"`
	DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	Properties           map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical   `json:"physicalLocation,omitempty"`
	LogicalLocations []map[string]any `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation map[string]string `json:"artifactLocation"`
	Region           map[string]int    `json:"region,omitempty"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
	// Suppressions mark an ignored finding: inSource for the object's
	// annotation, external for the exemptions file; code scanning shows
	// it as dismissed.
	Suppressions []map[string]string `json:"suppressions,omitempty"`
}

// writeSARIF writes the report as a SARIF 2.1.0 log: one rule per
// finding id of the catalog (title, help, docs link, default level), one
// result per finding at its file and line (relative paths with forward
// slashes, as code scanning resolves them from the repository root), and
// the object as a logical location.
func (r Report) writeSARIF(w io.Writer, version string) error {
	all := append(slices.Clone(r.Findings), r.Ignored...)
	rules, index := sarifRules(all)
	results := r.sarifResults(all, index)
	notices := []map[string]any{}
	for _, e := range slices.Sorted(slices.Values(r.Errors)) {
		notices = append(notices, map[string]any{"level": "error", "message": map[string]string{"text": e}})
	}
	driver := map[string]any{"name": "kube-reliability-exporter", "informationUri": "https://github.com/kube-reliability/kube-reliability-exporter", "rules": rules}
	if version != "" {
		driver["semanticVersion"] = version
	}
	run := map[string]any{
		"tool":        map[string]any{"driver": driver},
		"results":     results,
		"invocations": []map[string]any{{"executionSuccessful": true, "toolExecutionNotifications": notices}},
		"properties":  map[string]any{"score": r.Score.Cluster, "objects": r.Objects},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []any{run}})
}

// sarifRules describes each rule the findings use, in the catalog's order
// (a rule missing from it after them, by id), at the highest severity
// any finding of it has; index gives each rule's position.
func sarifRules(all []Finding) (rules []sarifRule, index map[string]int) {
	used := map[string]Severity{}
	for _, f := range all {
		if s, ok := used[f.Rule]; !ok || f.Severity > s {
			used[f.Rule] = f.Severity
		}
	}
	index = map[string]int{}
	for _, c := range findings.Catalog {
		sev, ok := used[c.ID]
		if !ok {
			continue
		}
		index[c.ID] = len(rules)
		rules = append(rules, sarifRule{
			ID: c.ID, Name: sarifName(c.ID),
			ShortDescription: sarifText{Text: c.Title}, FullDescription: sarifText{Text: c.Help},
			Help:    sarifText{Text: c.Help, Markdown: "**" + c.Title + "**\n\n" + c.Help + "\n\n[docs/findings.md](" + docsBase + findings.Anchor(c.ID) + ")"},
			HelpURI: docsBase + findings.Anchor(c.ID), DefaultConfiguration: map[string]string{"level": sarifLevel(sev)},
			Properties: map[string]any{"tags": []string{"reliability", strings.Split(c.ID, "/")[0]}},
		})
	}
	for _, id := range slices.Sorted(maps.Keys(used)) { // a rule missing from the catalog still gets a rule
		if _, ok := index[id]; !ok {
			index[id] = len(rules)
			rules = append(rules, sarifRule{ID: id, Name: sarifName(id), ShortDescription: sarifText{Text: id}, FullDescription: sarifText{Text: id},
				Help: sarifText{Text: id}, HelpURI: docsBase, DefaultConfiguration: map[string]string{"level": sarifLevel(used[id])}, Properties: map[string]any{}})
		}
	}
	return rules, index
}

// sarifResults places each finding (accepted ones with their suppression)
// in its file and line, and names its object.
func (r Report) sarifResults(all []Finding, index map[string]int) []sarifResult {
	// A finding on an object no file holds (a namespace the manifests only
	// name) points at the first object of that namespace that has one:
	// code scanning shows a result only at a place in a file.
	type place struct {
		file string
		line int
	}
	firstIn := map[string]place{}
	for _, f := range r.Findings {
		if _, ok := firstIn[f.Namespace]; !ok && f.File != "" && f.Line > 0 {
			firstIn[f.Namespace] = place{f.File, f.Line}
		}
	}
	results := make([]sarifResult, 0, len(all))
	for _, f := range all {
		if f.File == "" && f.Kind == "Namespace" {
			if p, ok := firstIn[f.Name]; ok {
				f.File, f.Line = p.file, p.line
			}
		}
		obj := f.Kind + " " + f.Name
		if f.Namespace != "" {
			obj = f.Kind + " " + f.Namespace + "/" + f.Name
		}
		loc := sarifLocation{LogicalLocations: []map[string]any{{"fullyQualifiedName": obj, "kind": "object"}}}
		if f.File != "" && f.File != "-" {
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: map[string]string{"uri": filepath.ToSlash(filepath.Clean(f.File))}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = map[string]int{"startLine": f.Line}
			}
		}
		res := sarifResult{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
			Message: sarifText{Text: obj + ": " + f.Message}, Locations: []sarifLocation{loc}}
		if f.Ignored != "" {
			kind := "inSource"
			if strings.HasPrefix(f.Ignored, "exemption") {
				kind = "external"
			}
			res.Suppressions = []map[string]string{{"kind": kind, "justification": f.Ignored}}
		}
		results = append(results, res)
	}
	return results
}

// sarifName is a rule's name as SARIF wants it: an identifier
// (placement/single-node → PlacementSingleNode).
func sarifName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '/' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
