package versiontable

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Version is major.minor.patch; pre-release and build suffixes
// ("3.6.0-rc.1", "3.5.9+k3s1", "1.14.4-chainguard") are ignored for
// comparison.
type Version struct{ Major, Minor, Patch int }

// ParseVersion parses "3.5.9" or "v3.5.9" (with an optional suffix).
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(t, "-+"); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q: want major.minor.patch", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 1<<20 {
			return Version{}, fmt.Errorf("version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

// Compare orders versions: -1, 0 or +1.
func (v Version) Compare(o Version) int {
	return cmp.Or(cmp.Compare(v.Major, o.Major), cmp.Compare(v.Minor, o.Minor), cmp.Compare(v.Patch, o.Patch))
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// MinorString returns "major.minor".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Range is an inclusive version range.
type Range struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Kinds of rows.
const (
	Vulnerability = "vulnerability" // a security advisory
	Bug           = "bug"           // data loss, inconsistency, a crash or a failed operation
	EndOfLife     = "end-of-life"   // the release line gets no more fixes
	Retired       = "retired"       // the whole project gets no more releases
)

// Issue is one row: a known problem of some versions.
type Issue struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"`
	Affected []Range `json:"affected"`
	// Fixed lists the first fixed release of each maintained line;
	// empty when none is (end of life, retired).
	Fixed    []string `json:"fixed,omitempty"`
	Severity string   `json:"severity"`
	Summary  string   `json:"summary"`
	// Source is the advisory, issue, changelog or announcement the row
	// was checked against.
	Source string `json:"source"`

	ranges [][2]Version
}

// Table is one versioned table.
type Table struct {
	// Revision grows whenever a row changes; exported so that a
	// verdict can be traced to the table it came from.
	Revision int     `json:"revision"`
	Issues   []Issue `json:"issues"`
}

// Parse parses and checks a table.
func Parse(b []byte) (*Table, error) {
	var t Table
	if err := yaml.UnmarshalStrict(b, &t); err != nil {
		return nil, fmt.Errorf("version table: %w", err)
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Check validates every row and parses its ranges once; a table built
// other than by Parse (one of several in a file) must pass it before
// Affecting is called.
func (t *Table) Check() error {
	if t.Revision < 1 {
		return fmt.Errorf("version table: revision %d, want 1 or more", t.Revision)
	}
	seen := map[string]bool{}
	for i := range t.Issues {
		is := &t.Issues[i]
		if is.ID == "" || seen[is.ID] {
			return fmt.Errorf("version table: empty or duplicate id %q", is.ID)
		}
		seen[is.ID] = true
		if err := is.check(); err != nil {
			return fmt.Errorf("version table row %s: %w", is.ID, err)
		}
	}
	return nil
}

func (is *Issue) check() error {
	if is.Severity != "warning" && is.Severity != "critical" {
		return fmt.Errorf("severity %q is not warning or critical", is.Severity)
	}
	if !slices.Contains([]string{Vulnerability, Bug, EndOfLife, Retired}, is.Kind) {
		return fmt.Errorf("kind %q is not %s, %s, %s or %s", is.Kind, Vulnerability, Bug, EndOfLife, Retired)
	}
	if len(is.Affected) == 0 || is.Summary == "" {
		return fmt.Errorf("needs affected ranges and a summary")
	}
	if u, err := url.Parse(is.Source); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("source %q is not an https URL: every row needs the advisory, issue or announcement it was checked against", is.Source)
	}
	is.ranges = is.ranges[:0]
	for _, r := range is.Affected {
		from, err := ParseVersion(r.From)
		if err != nil {
			return err
		}
		to, err := ParseVersion(r.To)
		if err != nil {
			return err
		}
		if from.Compare(to) > 0 {
			return fmt.Errorf("range %s-%s is reversed", r.From, r.To)
		}
		is.ranges = append(is.ranges, [2]Version{from, to})
	}
	for _, f := range is.Fixed {
		v, err := ParseVersion(f)
		if err != nil {
			return fmt.Errorf("fixed: %w", err)
		}
		if is.Affects(v) {
			return fmt.Errorf("fixed version %s lies in an affected range", f)
		}
	}
	return nil
}

// Affects reports whether the issue affects version v.
func (is Issue) Affects(v Version) bool {
	for _, r := range is.ranges {
		if v.Compare(r[0]) >= 0 && v.Compare(r[1]) <= 0 {
			return true
		}
	}
	return false
}

// Affecting returns the rows that affect v, in table order.
func (t *Table) Affecting(v Version) []Issue {
	var out []Issue
	for _, is := range t.Issues {
		if is.Affects(v) {
			out = append(out, is)
		}
	}
	return out
}
