package etcd

import (
	"fmt"
	"slices"
	"strings"
)

// Minimum is the lowest acceptable etcd version.
type Minimum struct {
	// OldestMinor is the oldest supported minor (its patch is ignored):
	// anything older is end of life and below minimum.
	OldestMinor Version
	// Floors are per-minor patch floors: "3.5" -> 3.5.6.
	Floors map[string]Version
}

// DefaultMinimum follows the Kubernetes project's recommended floors
// (3.4.22, 3.5.6) and treats minors past end of life (3.4 and older) as
// below minimum.
func DefaultMinimum() Minimum {
	return Minimum{
		OldestMinor: Version{Major: 3, Minor: 5},
		Floors:      map[string]Version{"3.4": {Major: 3, Minor: 4, Patch: 22}, "3.5": {Major: 3, Minor: 5, Patch: 6}},
	}
}

// ParseMinimum builds a Minimum from an oldest supported minor ("3.5") and
// patch floors ("3.5.6,3.6.1").
func ParseMinimum(oldestMinor string, floors []string) (Minimum, error) {
	m := Minimum{Floors: map[string]Version{}}
	om, err := ParseVersion(strings.TrimSpace(oldestMinor) + ".0")
	if err != nil {
		return m, fmt.Errorf("oldest minor %q: want major.minor", oldestMinor)
	}
	m.OldestMinor = om
	for _, f := range floors {
		v, err := ParseVersion(f)
		if err != nil {
			return m, err
		}
		m.Floors[v.MinorString()] = v
	}
	return m, nil
}

// Below reports whether v is below the minimum.
func (m Minimum) Below(v Version) bool {
	if v.Compare(Version{Major: m.OldestMinor.Major, Minor: m.OldestMinor.Minor}) < 0 {
		return true
	}
	floor, ok := m.Floors[v.MinorString()]
	return ok && v.Compare(floor) < 0
}

// Verdict is the judgement on one cluster's server versions.
type Verdict struct {
	// Versions are the distinct versions, oldest first.
	Versions []Version
	// Drift is the number of distinct versions minus one: above 0 the
	// cluster is mid-upgrade, or stuck in one.
	Drift int
	// BelowMinimum: some member runs a version below the minimum.
	BelowMinimum bool
	// KnownIssues are the ids of the table's issues affecting any member.
	KnownIssues []string
}

// Judge judges the versions the members of one cluster report; a nil
// table knows no issue.
func Judge(versions []Version, min Minimum, table *IssueTable) Verdict {
	if table == nil {
		table = &IssueTable{}
	}
	var v Verdict
	for _, x := range versions {
		if !slices.Contains(v.Versions, x) {
			v.Versions = append(v.Versions, x)
		}
		if min.Below(x) {
			v.BelowMinimum = true
		}
		for _, is := range table.Issues {
			if is.Affects(x) && !slices.Contains(v.KnownIssues, is.ID) {
				v.KnownIssues = append(v.KnownIssues, is.ID)
			}
		}
	}
	slices.SortFunc(v.Versions, Version.Compare)
	slices.Sort(v.KnownIssues)
	v.Drift = max(len(v.Versions)-1, 0)
	return v
}

// Judgement is how the cluster's members are judged: the minimum
// versions and the known-issue table.
type Judgement struct {
	Minimum Minimum
	Issues  *IssueTable
}

// Members judges the versions of the members that are up; false when
// none is (the versions are unknown, not "no drift").
func (j Judgement) Members(st []MemberStatus) (Verdict, bool) {
	var versions []Version
	for _, m := range st {
		if !m.Up {
			continue
		}
		if v, err := ParseVersion(m.Version); err == nil {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return Verdict{}, false
	}
	return Judge(versions, j.Minimum, j.Issues), true
}
