package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

func TestDecodePaths(t *testing.T) {
	t.Parallel()
	r := DecodePaths([]string{"testdata"})

	type loc struct {
		file string
		line int
		kind string
	}
	var got []loc
	for _, o := range r.Objects {
		got = append(got, loc{filepath.Base(o.File), o.Line, o.Obj.GetObjectKind().GroupVersionKind().Kind})
	}
	want := []loc{{"mixed.yaml", 3, "Deployment"}, {"mixed.yaml", 15, "Service"}, {"mixed.yaml", 30, "Node"}, {"pod.json", 1, "Pod"}}
	if len(got) != len(want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("object %d: %v, want %v", i, got[i], want[i])
		}
	}
	if want := []Skipped{{File: "testdata/mixed.yaml", Line: 44, APIVersion: "v1", Kind: "ConfigMap", Name: "not-analyzed"}}; !reflect.DeepEqual(r.Skipped, want) {
		t.Errorf("skipped %+v, want %+v (the ConfigMap, named)", r.Skipped, want)
	}

	wantErrs := []string{
		"mixed.yaml:24: invalid YAML", // the broken indentation, at the line the YAML parser names
		"mixed.yaml:27: missing kind or apiVersion",
		"mixed.yaml:30: item 1: decode ReplicaSet", // replicas: "two"
	}
	if len(r.Errors) != len(wantErrs) {
		t.Fatalf("errors %v, want %d", r.Errors, len(wantErrs))
	}
	for i, w := range wantErrs {
		if got := r.Errors[i].Error(); !strings.Contains(got, w) {
			t.Errorf("error %d = %q, want it to contain %q", i, got, w)
		}
	}
}

func TestDecodeUnreadablePath(t *testing.T) {
	t.Parallel()
	r := DecodePaths([]string{filepath.Join(t.TempDir(), "missing.yaml")})
	if len(r.Errors) != 1 || len(r.Objects) != 0 {
		t.Fatalf("want one error for a missing path, got %+v", r)
	}
}

func TestSnapshotFillsNamespaceAndUID(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/mixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := Snapshot(Decode("mixed.yaml", data).Objects)
	if len(s.Deployments) != 1 || len(s.Nodes) != 1 {
		t.Fatalf("snapshot %+v", s)
	}
	d := s.Deployments[0]
	if d.Namespace != "default" || d.UID != "manifest:Deployment/default/web" {
		t.Errorf("namespace %q uid %q", d.Namespace, d.UID)
	}
	var _ *cluster.Deployment = d
	var _ *corev1.Node = s.Nodes[0]
}

func TestSplitDocumentsLines(t *testing.T) {
	t.Parallel()
	docs := splitDocuments([]byte("a: 1\n---\nb: 2\n--- # c\nc: 3"))
	var lines []int
	for _, d := range docs {
		lines = append(lines, d.line)
	}
	if len(lines) != 3 || lines[0] != 1 || lines[1] != 3 || lines[2] != 5 {
		t.Errorf("document start lines %v, want [1 3 5]", lines)
	}
}

// FuzzDecode: any input decodes without panicking, every error names a line
// inside the input, and decoding is deterministic.
func FuzzDecode(f *testing.F) {
	for _, p := range []string{"testdata/mixed.yaml", "testdata/pod.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: List, items: [{}]}\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Decode("f", data)
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range r.Errors {
			if e.Line < 1 || e.Line > lines+1 {
				t.Errorf("error line %d outside 1..%d: %v", e.Line, lines, e)
			}
		}
		again := Decode("f", data)
		if len(again.Objects) != len(r.Objects) || len(again.Errors) != len(r.Errors) || !reflect.DeepEqual(again.Skipped, r.Skipped) {
			t.Errorf("decoding is not deterministic")
		}
	})
}

func TestNewlinesBefore(t *testing.T) {
	for _, c := range []struct {
		body string
		n    int
		want int
	}{
		{"a: 1\nb: x: y\n", 2, 1},   // the error's own line
		{"a: 1\nb: [\n", 3, 1},      // at the end of input: the last line
		{"-\r0", 3, 0},              // a lone CR is a YAML line break, not a file line
		{"a\r\nb\r\nc: d: e", 3, 2}, // CRLF is one of each
		{"a\u2028b\nc: d: e", 3, 1}, // LS breaks YAML's lines only
		{"", 5, 0},
	} {
		if got := newlinesBefore([]byte(c.body), c.n); got != c.want {
			t.Errorf("newlinesBefore(%q, %d) = %d, want %d", c.body, c.n, got, c.want)
		}
	}
}
