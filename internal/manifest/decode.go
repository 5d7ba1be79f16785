package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// MaxDocumentBytes bounds one document; a larger one is reported, not
// decoded, so a hostile file cannot make audit allocate without limit.
const MaxDocumentBytes = 16 << 20

// DecodeError is a document that could not be decoded.
type DecodeError struct {
	File string
	Line int // 1-based line where the document (or the error in it) is
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Object is a decoded object and where it came from.
type Object struct {
	File string
	Line int
	Obj  runtime.Object
}

// ScaledObject is what analysis reads of a KEDA ScaledObject.
type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
	} `json:"spec"`
}

// DeepCopyObject makes ScaledObject a runtime.Object.
func (s *ScaledObject) DeepCopyObject() runtime.Object {
	c := *s
	s.ObjectMeta.DeepCopyInto(&c.ObjectMeta)
	if s.Spec.MinReplicaCount != nil {
		m := *s.Spec.MinReplicaCount
		c.Spec.MinReplicaCount = &m
	}
	return &c
}

func decodeScaledObject(js []byte) (*ScaledObject, error) {
	var so ScaledObject
	if err := json.Unmarshal(js, &so); err != nil {
		return nil, err
	}
	if so.Spec.ScaleTargetRef.Name == "" {
		return nil, errors.New("spec.scaleTargetRef.name is required")
	}
	if m := so.Spec.MinReplicaCount; m != nil && *m < 0 {
		return nil, fmt.Errorf("spec.minReplicaCount %d is negative", *m)
	}
	return &so, nil
}

var decoder = newDecoder()

func newDecoder() runtime.Decoder {
	s := runtime.NewScheme()
	for _, k := range cluster.Kinds {
		if k.New != nil {
			gv := k.Resource.GroupVersion()
			s.AddKnownTypes(gv, k.New())
			metav1.AddToGroupVersion(s, gv)
		}
	}
	return serializer.NewCodecFactory(s).UniversalDeserializer()
}

// Result is what Decode found in one file.
type Result struct {
	Objects []Object
	Errors  []*DecodeError
	// Skipped lists the well-formed objects of kinds analysis does not
	// read: never silently dropped, the audit names them.
	Skipped []Skipped
}

// Skipped is an object that was not analysed.
type Skipped struct {
	File             string
	Line             int
	APIVersion, Kind string
	Namespace, Name  string
}

// Decode decodes every document of data (the contents of file).
func Decode(file string, data []byte) Result {
	var r Result
	for _, d := range splitDocuments(data) {
		r.decodeDocument(file, d.line, d.body)
	}
	return r
}

type document struct {
	line int
	body []byte
}

// splitDocuments splits a YAML stream at "---" lines, remembering where each
// document starts. JSON needs no splitting: it is one document.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 1, 1
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		var l []byte
		next := len(data) + 1
		if end >= 0 {
			l, next = data[i:i+end], i+end+1
		} else {
			l = data[i:]
		}
		trimmed := bytes.TrimRight(l, " \t\r")
		// "---", or "---" followed by spaces or a comment, as kubectl's
		// reader splits (Helm charts write "---# comment").
		if rest, ok := bytes.CutPrefix(trimmed, []byte("---")); ok && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '#') {
			docs = append(docs, document{startLine, data[start:i]})
			start, startLine = next, line+1
		}
		i = next
		line++
	}
	if start <= len(data) {
		docs = append(docs, document{startLine, data[start:]})
	}
	return docs
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// newlinesBefore maps the YAML parser's line n of body to the number of
// "\n" before it, the file's lines. YAML also breaks lines at a lone CR,
// NEL, LS and PS, which editors and this package's line numbers do not
// all count (fuzzing found "-\r0" reported at line 3 of a one-line
// file); a line past the end (an error at the end of input) is the last.
func newlinesBefore(body []byte, n int) int {
	breaks, newlines, i := 0, 0, 0
	for ; i < len(body) && breaks < n-1; i++ {
		switch {
		case body[i] == '\n':
			breaks++
			newlines++
		case body[i] == '\r':
			breaks++
			if i+1 < len(body) && body[i+1] == '\n' {
				i++
				newlines++
			}
		case bytes.HasPrefix(body[i:], []byte("\u0085")), bytes.HasPrefix(body[i:], []byte("\u2028")), bytes.HasPrefix(body[i:], []byte("\u2029")):
			breaks++
		}
	}
	if i == len(body) && newlines > 0 && body[len(body)-1] == '\n' {
		// The (empty) line after the document's final newline, or past
		// its end: its last line.
		newlines--
	}
	return newlines
}

func (r *Result) decodeDocument(file string, line int, body []byte) {
	fail := func(at int, err error) {
		r.Errors = append(r.Errors, &DecodeError{File: file, Line: at, Err: err})
	}
	if len(bytes.TrimSpace(stripComments(body))) == 0 {
		return // empty document, as between "---" separators
	}
	if len(body) > MaxDocumentBytes {
		fail(line, fmt.Errorf("document of %d bytes exceeds the %d byte limit", len(body), MaxDocumentBytes))
		return
	}
	js, err := yaml.YAMLToJSON(body)
	if err != nil {
		// The YAML parser counts lines within the document; report them
		// within the file.
		at := line
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			if n, convErr := strconv.Atoi(m[1]); convErr == nil {
				at = line + newlinesBefore(body, n)
			}
		}
		fail(at, fmt.Errorf("invalid YAML: %w", err))
		return
	}
	// An object is where its first line is, past the comments and blank
	// lines that lead its document (Helm templates open with both).
	r.decodeJSON(file, line+leadingLines(body), js, fail, 0)
}

// leadingLines counts the blank and comment-only lines that open body.
func leadingLines(body []byte) int {
	n := 0
	for len(body) > 0 {
		l, rest, _ := bytes.Cut(body, []byte("\n"))
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' {
			break
		}
		n++
		body = rest
	}
	return n
}

// maxListDepth bounds nested Lists; kubectl never nests them.
const maxListDepth = 2

func (r *Result) decodeJSON(file string, line int, js []byte, fail func(int, error), depth int) {
	var head struct {
		metav1.TypeMeta
		Metadata struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		fail(line, fmt.Errorf("not a Kubernetes object: %w", err))
		return
	}
	if head.Kind == "" || head.APIVersion == "" {
		fail(line, errors.New("missing kind or apiVersion"))
		return
	}
	if head.Kind == "List" || (len(head.Items) > 0 && len(head.Kind) > 4 && head.Kind[len(head.Kind)-4:] == "List") {
		if depth >= maxListDepth {
			fail(line, errors.New("lists nested too deep"))
			return
		}
		for i, item := range head.Items {
			before := len(r.Errors)
			r.decodeJSON(file, line, item, fail, depth+1)
			for _, e := range r.Errors[before:] {
				e.Err = fmt.Errorf("item %d: %w", i, e.Err)
			}
		}
		return
	}
	gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
	kind, analysed := cluster.KindOf(gvk)
	if !analysed {
		r.Skipped = append(r.Skipped, Skipped{File: file, Line: line, APIVersion: head.APIVersion, Kind: head.Kind,
			Namespace: head.Metadata.Namespace, Name: head.Metadata.Name})
		return
	}
	var obj runtime.Object
	var err error
	if kind.New == nil { // KEDA's ScaledObject: no Go types here
		obj, err = decodeScaledObject(js)
	} else {
		obj, _, err = decoder.Decode(js, nil, nil)
	}
	if err != nil {
		fail(line, fmt.Errorf("decode %s: %w", head.Kind, err))
		return
	}
	r.Objects = append(r.Objects, Object{File: file, Line: line, Obj: obj})
}

// stripComments drops YAML comment lines, so a document holding only
// comments counts as empty.
func stripComments(b []byte) []byte {
	var out []byte
	for l := range bytes.SplitSeq(b, []byte("\n")) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			out = append(out, t...)
		}
	}
	return out
}
