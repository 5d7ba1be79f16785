package kubeversions

import (
	"strings"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"
)

func TestShippedTable(t *testing.T) {
	t.Parallel()
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range tab.APIs {
		if !strings.HasPrefix(a.Source, "https://") {
			t.Errorf("%s %s: source %q", a.GroupVersion, a.Kind, a.Source)
		}
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tt := range []struct {
		minor     string
		eol       string
		exact, ok bool
	}{
		{"1.37", "2027-10-28", true, true},
		{"1.34", "2026-10-27", true, true},
		{"1.32", "2026-06-28", false, true}, // between rows: no later than 1.33's end
		{"1.28", "2025-07-15", false, true},
		{"1.38", "", false, false}, // newer than the table: unknown
	} {
		v, _ := ParseMinor(tt.minor)
		eol, exact, ok := tab.EndOfLife(v)
		if ok != tt.ok || exact != tt.exact || (ok && !eol.Equal(day(tt.eol))) {
			t.Errorf("%s: %v %t %t, want %s %t %t", tt.minor, eol, exact, ok, tt.eol, tt.exact, tt.ok)
		}
	}
	for _, tt := range []struct{ gv, kind, removed string }{
		{"extensions/v1beta1", "Ingress", "1.22"},
		{"apps/v1beta2", "Deployment", "1.16"},
		{"coordination.k8s.io/v1beta1", "Lease", "1.22"},
		{"coordination.k8s.io/v1beta1", "LeaseCandidate", "1.39"},
		{"resource.k8s.io/v1beta1", "ResourceClaim", "1.38"},
		{"admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", "1.22"},
		{"apps/v1", "Deployment", ""},
		{"admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", ""},
	} {
		a, ok := tab.Removed(tt.gv, tt.kind)
		if (tt.removed == "") == ok || (ok && a.RemovedIn != tt.removed) {
			t.Errorf("Removed(%s, %s) = %+v %t, want %q", tt.gv, tt.kind, a, ok, tt.removed)
		}
	}
	if a, ok := tab.RemovedResource("resource.k8s.io", "v1beta1", "deviceclasses"); !ok || a.RemovedIn != "1.38" || a.Use != "resource.k8s.io/v1" {
		t.Errorf("RemovedResource(resource.k8s.io/v1beta1 deviceclasses) = %+v %t", a, ok)
	}
	if _, ok := tab.RemovedResource("", "v1", "endpoints"); ok {
		t.Error("core v1 endpoints has a removal row")
	}
}

func TestSkew(t *testing.T) {
	t.Parallel()
	v := func(s string) versiontable.Version { x, _ := versiontable.ParseVersion(s); return x }
	for _, tt := range []struct {
		api, comp string
		minors    int
		violates  bool
	}{
		{"1.37.2", "1.37.0", 0, false},
		{"1.37.2", "1.34.9", 3, false},
		{"1.37.2", "1.33.1", 4, true},
		{"1.37.2", "1.38.0", -1, true},
	} {
		m, bad := Skew(v(tt.api), v(tt.comp))
		if m != tt.minors || bad != tt.violates {
			t.Errorf("Skew(%s, %s) = %d %t", tt.api, tt.comp, m, bad)
		}
	}
}

func TestParseRejectsUnsourced(t *testing.T) {
	t.Parallel()
	for name, y := range map[string]string{
		"minor without source": `{revision: 1, minors: [{minor: "1.30", endOfLife: "2025-07-15"}]}`,
		"bad date":             `{revision: 1, minors: [{minor: "1.30", endOfLife: "July", source: "https://x.test"}]}`,
		"api without source":   `{revision: 1, apis: [{groupVersion: a/v1, kind: K, resource: ks, removedIn: "1.2"}]}`,
		"duplicate api":        `{revision: 1, apis: [{groupVersion: a/v1, kind: K, resource: ks, removedIn: "1.2", source: "https://x.test"}, {groupVersion: a/v1, kind: K, resource: ks, removedIn: "1.2", source: "https://x.test"}]}`,
	} {
		if _, err := Parse([]byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
