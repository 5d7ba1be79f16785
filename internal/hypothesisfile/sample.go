package hypothesisfile

import (
	"errors"
	"strconv"
	"strings"
)

// Sample is one series of a family: its labels, by name, and its value.
type Sample struct {
	Labels []Label
	Value  float64
}

// Label is one label pair.
type Label struct{ Name, Value string }

// Get returns the value of the label name ("" when absent, as PromQL).
func (s Sample) Get(name string) string {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func (s Sample) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range s.Labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		// As the exposition format escapes, so a line parses back.
		b.WriteString(labelEscaper.Replace(l.Value))
		b.WriteByte('"')
	}
	b.WriteString("} ")
	b.WriteString(strconv.FormatFloat(s.Value, 'g', -1, 64))
	return b.String()
}

var errLine = errors.New("malformed sample line")

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// ParseLine parses one sample line of the text exposition format as the
// exporter writes it: name{label="value",…} value (no timestamp).
func ParseLine(line string) (name string, s Sample, err error) {
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return "", s, errLine
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 || eq+1 >= len(rest) || rest[eq+1] != '"' {
				return "", s, errLine
			}
			l := Label{Name: rest[:eq]}
			rest = rest[eq+2:]
			var b strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) {
					j++
					switch rest[j] {
					case 'n':
						b.WriteByte('\n')
					default:
						b.WriteByte(rest[j])
					}
					continue
				}
				if c == '"' {
					rest, closed = rest[j+1:], true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return "", s, errLine
			}
			l.Value = b.String()
			s.Labels = append(s.Labels, l)
			rest = strings.TrimPrefix(rest, ",")
		}
	}
	if !strings.HasPrefix(rest, " ") {
		return "", s, errLine
	}
	if s.Value, err = strconv.ParseFloat(strings.TrimSpace(rest), 64); err != nil {
		return "", s, errLine
	}
	return name, s, nil
}
