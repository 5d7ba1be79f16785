package etcd

import (
	_ "embed"
	"fmt"

	"sigs.k8s.io/yaml"
)

//go:embed known-issues.yaml
var knownIssuesYAML []byte

// Range is an inclusive version range.
type Range struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Issue is one known problem of some etcd versions.
type Issue struct {
	ID       string  `json:"id"`
	Affected []Range `json:"affected"`
	Severity string  `json:"severity"`
	Summary  string  `json:"summary"`
	Link     string  `json:"link"`
}

// IssueTable is the versioned known-issue table.
type IssueTable struct {
	Revision int     `json:"revision"`
	Issues   []Issue `json:"issues"`
}

// KnownIssues parses the table shipped in the binary.
func KnownIssues() (*IssueTable, error) { return ParseIssues(knownIssuesYAML) }

// ParseIssues parses and checks a table: every range must parse with
// from <= to, ids must be unique, severities known.
func ParseIssues(b []byte) (*IssueTable, error) {
	var t IssueTable
	if err := yaml.UnmarshalStrict(b, &t); err != nil {
		return nil, fmt.Errorf("known issues: %w", err)
	}
	seen := map[string]bool{}
	for _, is := range t.Issues {
		if is.ID == "" || seen[is.ID] {
			return nil, fmt.Errorf("known issues: empty or duplicate id %q", is.ID)
		}
		seen[is.ID] = true
		if is.Severity != "warning" && is.Severity != "critical" {
			return nil, fmt.Errorf("known issue %s: severity %q is not warning or critical", is.ID, is.Severity)
		}
		if len(is.Affected) == 0 || is.Summary == "" || is.Link == "" {
			return nil, fmt.Errorf("known issue %s: needs affected ranges, a summary and a link", is.ID)
		}
		for _, r := range is.Affected {
			from, err := ParseVersion(r.From)
			if err != nil {
				return nil, fmt.Errorf("known issue %s: %w", is.ID, err)
			}
			to, err := ParseVersion(r.To)
			if err != nil {
				return nil, fmt.Errorf("known issue %s: %w", is.ID, err)
			}
			if from.Compare(to) > 0 {
				return nil, fmt.Errorf("known issue %s: range %s-%s is reversed", is.ID, r.From, r.To)
			}
		}
	}
	return &t, nil
}

// Affects reports whether the issue affects version v.
func (is Issue) Affects(v Version) bool {
	for _, r := range is.Affected {
		// Ranges were checked when the table was parsed.
		from, _ := ParseVersion(r.From)
		to, _ := ParseVersion(r.To)
		if v.Compare(from) >= 0 && v.Compare(to) <= 0 {
			return true
		}
	}
	return false
}
