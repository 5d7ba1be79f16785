package hypothesisfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kube-reliability/kube-reliability-exporter/internal/bounded"
)

// Limits on a file: hypotheses are a handful of questions, not a rule
// engine; anything larger is a mistake or hostile.
const (
	MaxFileBytes   = 1 << 20
	MaxHypotheses  = 200
	MaxMatchers    = 20
	maxRegexpBytes = 1024
)

// Aggregations and comparisons a hypothesis may use. No aggregation means
// every selected series must satisfy the comparison.
var (
	Aggregations = []string{"", "sum", "min", "max", "avg", "count"}
	Comparisons  = []string{"==", "!=", "<", "<=", ">", ">="}
)

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Hypothesis is one user-defined steady-state hypothesis.
type Hypothesis struct {
	Name, Description string
	Family            string
	Matchers          []Matcher
	// Aggregation is "" (every selected series must satisfy the
	// comparison), sum, min, max, avg or count.
	Aggregation string
	Comparison  string
	Threshold   float64
	// Line is where the hypothesis starts in its file.
	Line int
}

// Families tells the label names of a family the exporter serves; false
// for a family it does not serve.
type Families func(family string) (labels []string, ok bool)

// Load reads and validates the file at path (at most MaxFileBytes).
// reserved names the built-in hypotheses, which a file may not redefine.
func Load(path string, known Families, reserved []string) ([]Hypothesis, error) {
	data, err := bounded.ReadFile(path, MaxFileBytes)
	switch {
	case errors.Is(err, bounded.ErrTooLarge):
		return nil, fmt.Errorf("%s: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("hypotheses file: %w", err)
	}
	return Parse(path, data, known, reserved)
}

// Parse validates data, read from file (named in errors).
func Parse(file string, data []byte, known Families, reserved []string) ([]Hypothesis, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty: want a mapping with a hypotheses list", file)
		}
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	errAt := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, n.Line, fmt.Sprintf(format, args...))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "want a mapping with a hypotheses list")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Value != "hypotheses" {
			return nil, errAt(k, "unknown key %q (want hypotheses)", k.Value)
		}
		list = root.Content[i+1]
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, errAt(root, "hypotheses: want a list")
	}
	if len(list.Content) > MaxHypotheses {
		return nil, errAt(list, "%d hypotheses, at most %d", len(list.Content), MaxHypotheses)
	}
	var out []Hypothesis
	seen := map[string]int{}
	for _, item := range list.Content {
		h, err := parseOne(item, known, errAt)
		if err != nil {
			return nil, err
		}
		if slices.Contains(reserved, h.Name) {
			return nil, errAt(item, "hypothesis %q: the name of a built-in hypothesis", h.Name)
		}
		if line, dup := seen[h.Name]; dup {
			return nil, errAt(item, "hypothesis %q: defined twice (first on line %d)", h.Name, line)
		}
		seen[h.Name] = item.Line
		out = append(out, h)
	}
	return out, nil
}

type errAtFunc func(n *yaml.Node, format string, args ...any) error

// hypothesisFields indexes a hypothesis mapping by key, refusing unknown
// and repeated keys.
func hypothesisFields(item *yaml.Node, errAt errAtFunc) (map[string]*yaml.Node, error) {
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		switch k.Value {
		case "name", "description", "family", "matchers", "aggregation", "comparison", "threshold":
		default:
			return nil, errAt(k, "unknown key %q (want name, description, family, matchers, aggregation, comparison, threshold)", k.Value)
		}
		if _, dup := fields[k.Value]; dup {
			return nil, errAt(k, "key %q given twice", k.Value)
		}
		fields[k.Value] = v
	}
	return fields, nil
}

// parseMatchers reads h's matchers list: each one parses and names a
// label of h's family.
func parseMatchers(m *yaml.Node, h Hypothesis, labels []string, errAt errAtFunc) ([]Matcher, error) {
	if m.Kind != yaml.SequenceNode {
		return nil, errAt(m, "matchers: want a list like ['namespace=\"shop\"', 'owner_name=~\"web-.*\"']")
	}
	if len(m.Content) > MaxMatchers {
		return nil, errAt(m, "%d matchers, at most %d", len(m.Content), MaxMatchers)
	}
	var out []Matcher
	for _, mn := range m.Content {
		if mn.Kind != yaml.ScalarNode {
			return nil, errAt(mn, "matcher: want a string like 'namespace=\"shop\"'")
		}
		mt, err := ParseMatcher(mn.Value)
		if err != nil {
			return nil, errAt(mn, "hypothesis %q: matcher %q: %v", h.Name, mn.Value, err)
		}
		if !slices.Contains(labels, mt.Name) {
			return nil, errAt(mn, "hypothesis %q: matcher %q: family %s has no label %q (it has %s)", h.Name, mn.Value, h.Family, mt.Name, labelList(labels))
		}
		out = append(out, mt)
	}
	return out, nil
}

func parseOne(item *yaml.Node, known Families, errAt errAtFunc) (Hypothesis, error) {
	h := Hypothesis{Line: item.Line}
	if item.Kind != yaml.MappingNode {
		return h, errAt(item, "a hypothesis is a mapping (name, family, comparison, threshold, …)")
	}
	fields, err := hypothesisFields(item, errAt)
	if err != nil {
		return h, err
	}
	scalar := func(key string, required bool) (string, *yaml.Node, error) {
		v, ok := fields[key]
		if !ok {
			if required {
				return "", item, errAt(item, "%s is required", key)
			}
			return "", item, nil
		}
		if v.Kind != yaml.ScalarNode {
			return "", v, errAt(v, "%s: want a single value", key)
		}
		return v.Value, v, nil
	}
	var at *yaml.Node
	if h.Name, at, err = scalar("name", true); err != nil {
		return h, err
	}
	if !nameRE.MatchString(h.Name) {
		return h, errAt(at, "name %q: want lower-case letters, digits and dashes, at most 63 (it is a URL path and a label value)", h.Name)
	}
	if h.Description, _, err = scalar("description", false); err != nil {
		return h, err
	}
	if h.Family, at, err = scalar("family", true); err != nil {
		return h, err
	}
	labels, ok := known(h.Family)
	if !ok {
		return h, errAt(at, "hypothesis %q: unknown family %q (not served by an enabled collector; docs/metrics.md lists them)", h.Name, h.Family)
	}
	if m, ok := fields["matchers"]; ok {
		if h.Matchers, err = parseMatchers(m, h, labels, errAt); err != nil {
			return h, err
		}
	}
	if h.Aggregation, at, err = scalar("aggregation", false); err != nil {
		return h, err
	}
	if !slices.Contains(Aggregations, h.Aggregation) {
		return h, errAt(at, "hypothesis %q: aggregation %q: want sum, min, max, avg or count (or none: every series)", h.Name, h.Aggregation)
	}
	if h.Comparison, at, err = scalar("comparison", true); err != nil {
		return h, err
	}
	if !slices.Contains(Comparisons, h.Comparison) {
		return h, errAt(at, "hypothesis %q: comparison %q: want one of %s", h.Name, h.Comparison, strings.Join(Comparisons, " "))
	}
	var threshold string
	if threshold, at, err = scalar("threshold", true); err != nil {
		return h, err
	}
	if h.Threshold, err = strconv.ParseFloat(threshold, 64); err != nil || math.IsNaN(h.Threshold) {
		return h, errAt(at, "hypothesis %q: threshold %q: not a number", h.Name, threshold)
	}
	return h, nil
}

func labelList(labels []string) string {
	if len(labels) == 0 {
		return "none"
	}
	return strings.Join(labels, ", ")
}
