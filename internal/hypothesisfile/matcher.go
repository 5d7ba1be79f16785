package hypothesisfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Matcher selects series by one label, as in PromQL: name="value",
// name!="value", name=~"regexp", name!~"regexp" (regexps anchored).
type Matcher struct {
	Name, Op, Value string
	re              *regexp.Regexp
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ParseMatcher parses one matcher; the value is a double-quoted string
// with Go escapes.
func ParseMatcher(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf(`want label="value", label!="value", label=~"regexp" or label!~"regexp"`)
	}
	m := Matcher{Name: strings.TrimSpace(s[:i])}
	if !labelNameRE.MatchString(m.Name) {
		return Matcher{}, fmt.Errorf("%q is not a label name", m.Name)
	}
	rest := s[i:]
	for _, op := range []string{"=~", "!~", "!=", "="} {
		if strings.HasPrefix(rest, op) {
			m.Op, rest = op, strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if m.Op == "" {
		return Matcher{}, fmt.Errorf("unknown operator in %q: want =, !=, =~ or !~", rest)
	}
	if len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
		return Matcher{}, fmt.Errorf("the value must be double-quoted")
	}
	v, err := strconv.Unquote(rest)
	if err != nil {
		return Matcher{}, fmt.Errorf("value %s: %v", rest, err)
	}
	m.Value = v
	if m.Op == "=~" || m.Op == "!~" {
		if len(v) > maxRegexpBytes {
			return Matcher{}, fmt.Errorf("regexp longer than %d bytes", maxRegexpBytes)
		}
		// RE2: linear time whatever the pattern, so a hostile one cannot
		// stall an evaluation.
		if m.re, err = regexp.Compile("^(?:" + v + ")$"); err != nil {
			return Matcher{}, fmt.Errorf("regexp: %v", err)
		}
	}
	return m, nil
}

// Matches reports whether a label value satisfies the matcher.
func (m Matcher) Matches(v string) bool {
	switch m.Op {
	case "=":
		return v == m.Value
	case "!=":
		return v != m.Value
	case "=~":
		return m.re.MatchString(v)
	default:
		return !m.re.MatchString(v)
	}
}

func (m Matcher) String() string { return m.Name + m.Op + strconv.Quote(m.Value) }
