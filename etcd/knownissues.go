package etcd

import (
	_ "embed"
	"fmt"

	"github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"
)

//go:embed known-issues.yaml
var knownIssuesYAML []byte

// Range is an inclusive version range.
type Range = versiontable.Range

// Issue is one known problem of some etcd versions.
type Issue = versiontable.Issue

// IssueTable is the versioned known-issue table.
type IssueTable = versiontable.Table

// KnownIssues parses the table shipped in the binary.
func KnownIssues() (*IssueTable, error) { return ParseIssues(knownIssuesYAML) }

// ParseIssues parses and checks a table (versiontable.Parse's rules).
func ParseIssues(b []byte) (*IssueTable, error) {
	t, err := versiontable.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("etcd known issues: %w", err)
	}
	return t, nil
}
