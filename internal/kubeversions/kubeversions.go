package kubeversions

import (
	_ "embed"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"
)

//go:embed kubernetes.yaml
var tableYAML []byte

// Minor is one Kubernetes minor release's support window.
type Minor struct {
	Minor     string `json:"minor"`
	EndOfLife string `json:"endOfLife"` // YYYY-MM-DD
	Source    string `json:"source"`

	eol time.Time
	v   versiontable.Version
}

// API is an API version Kubernetes removed or will remove.
type API struct {
	// GroupVersion is "extensions/v1beta1" ("v1" for the core group).
	GroupVersion string `json:"groupVersion"`
	// Kind and Resource name one kind of it; "*" for all of its kinds.
	Kind     string `json:"kind"`
	Resource string `json:"resource"`
	// RemovedIn is the minor that stops serving it ("1.38").
	RemovedIn string `json:"removedIn"`
	// Use is the replacement; empty when the kind itself goes.
	Use    string `json:"use,omitempty"`
	Source string `json:"source"`
}

// Table is the shipped knowledge.
type Table struct {
	Revision int     `json:"revision"`
	Minors   []Minor `json:"minors"`
	APIs     []API   `json:"apis"`
}

// Load parses the table shipped in the binary.
func Load() (*Table, error) { return Parse(tableYAML) }

// Parse parses and checks a table: dates and minors that parse, an https
// source on every row.
func Parse(b []byte) (*Table, error) {
	var t Table
	if err := yaml.UnmarshalStrict(b, &t); err != nil {
		return nil, fmt.Errorf("kubernetes versions: %w", err)
	}
	for i := range t.Minors {
		m := &t.Minors[i]
		var err error
		if m.v, err = ParseMinor(m.Minor); err != nil {
			return nil, fmt.Errorf("kubernetes versions: %w", err)
		}
		if m.eol, err = time.Parse(time.DateOnly, m.EndOfLife); err != nil {
			return nil, fmt.Errorf("kubernetes versions: minor %s: end of life %q: %w", m.Minor, m.EndOfLife, err)
		}
		if err := checkSource(m.Source); err != nil {
			return nil, fmt.Errorf("kubernetes versions: minor %s: %w", m.Minor, err)
		}
	}
	seen := map[string]bool{}
	for _, a := range t.APIs {
		key := a.GroupVersion + " " + a.Kind
		if seen[key] || a.GroupVersion == "" || a.Kind == "" || a.Resource == "" {
			return nil, fmt.Errorf("kubernetes versions: API %q: empty or duplicate", key)
		}
		seen[key] = true
		if _, err := ParseMinor(a.RemovedIn); err != nil {
			return nil, fmt.Errorf("kubernetes versions: API %s: %w", key, err)
		}
		if err := checkSource(a.Source); err != nil {
			return nil, fmt.Errorf("kubernetes versions: API %s: %w", key, err)
		}
	}
	return &t, nil
}

func checkSource(s string) error {
	if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("source %q is not an https URL", s)
	}
	return nil
}

// ParseMinor parses "1.38" (or "v1.38"); the patch is zero.
func ParseMinor(s string) (versiontable.Version, error) {
	maj, min, ok := strings.Cut(strings.TrimPrefix(s, "v"), ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if !ok || err1 != nil || err2 != nil || a < 0 || b < 0 {
		return versiontable.Version{}, fmt.Errorf("minor %q: want major.minor", s)
	}
	return versiontable.Version{Major: a, Minor: b}, nil
}

// EndOfLife returns when v's minor stops getting patches. A minor older
// than the table's rows is known to have ended, no later than the end of
// the oldest row newer than it: that date is returned with exact false.
// A minor newer than every row is unknown (ok false).
func (t *Table) EndOfLife(v versiontable.Version) (eol time.Time, exact, ok bool) {
	var bound time.Time
	for _, m := range t.Minors {
		switch c := compareMinor(v, m.v); {
		case c == 0:
			return m.eol, true, true
		case c < 0 && (bound.IsZero() || m.eol.Before(bound)):
			bound = m.eol
		}
	}
	if bound.IsZero() {
		return time.Time{}, false, false
	}
	// Minors end in order: one older than a row ended no later.
	return bound, false, true
}

func compareMinor(a, b versiontable.Version) int {
	return versiontable.Version{Major: a.Major, Minor: a.Minor}.Compare(versiontable.Version{Major: b.Major, Minor: b.Minor})
}

// Removed returns the row of apiVersion's kind (or of its whole group
// version) when Kubernetes removed or will remove it.
func (t *Table) Removed(apiVersion, kind string) (API, bool) {
	return t.find(apiVersion, kind, func(a API) string { return a.Kind })
}

// RemovedResource is Removed by the resource's plural name, as the API
// server's metrics name it (group "" is the core group).
func (t *Table) RemovedResource(group, version, resource string) (API, bool) {
	gv := version
	if group != "" {
		gv = group + "/" + version
	}
	return t.find(gv, resource, func(a API) string { return a.Resource })
}

// find returns the row of groupVersion whose key (kind or resource) is
// name, else its "*" row.
func (t *Table) find(groupVersion, name string, key func(API) string) (API, bool) {
	var wild API
	found := false
	for _, a := range t.APIs {
		if a.GroupVersion != groupVersion {
			continue
		}
		switch key(a) {
		case name:
			return a, true
		case "*":
			wild, found = a, true
		}
	}
	return wild, found
}

// MaxSkew is how many minors a kubelet or kube-proxy may be older than
// the API server (the version skew policy since 1.28; neither may be
// newer).
const MaxSkew = 3

// SkewPolicy is the version skew policy's source.
const SkewPolicy = "https://kubernetes.io/releases/version-skew-policy/"

// Skew returns how many minors component is older than the API server
// (negative when newer) and whether that breaks the policy.
func Skew(apiserver, component versiontable.Version) (minors int, violates bool) {
	if apiserver.Major != component.Major {
		return 0, true
	}
	minors = apiserver.Minor - component.Minor
	return minors, minors < 0 || minors > MaxSkew
}
