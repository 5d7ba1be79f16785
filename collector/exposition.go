package collector

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The exporter writes the Prometheus text exposition format (version
// 0.0.4) itself. At 5,000 nodes a scrape holds some 250,000 series:
// building a client_golang const metric for each, gathering, sorting and
// encoding them allocated some 1.6 KB per series (600 MB per scrape
// measured); appending each sample's line to its family's buffer allocates
// nothing per series, and an unchanged collector's text is served again as
// it was.

// familyText is one metric family's output in one scrape: its sample
// lines, without the HELP and TYPE header.
type familyText struct {
	spec *MetricSpec
	// order lists the label indexes by label name: lines carry their
	// labels sorted, as client_golang writes them.
	order []int
	buf   []byte
	n     int
}

func newFamilyText(spec *MetricSpec) *familyText {
	order := make([]int, len(spec.Labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(spec.Labels[a], spec.Labels[b]) })
	return &familyText{spec: spec, order: order}
}

// appendSample appends one sample line. labelValues must match the spec's
// labels in number (checked by the caller).
func (f *familyText) appendSample(v float64, labelValues []string) {
	b := append(f.buf, f.spec.Name...)
	if len(f.order) > 0 {
		b = append(b, '{')
		for k, i := range f.order {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, f.spec.Labels[i]...)
			b = append(b, '=', '"')
			b = appendLabelValue(b, labelValues[i])
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, v)
	f.buf = append(b, '\n')
	f.n++
}

// appendHeader appends the family's HELP and TYPE lines.
func appendHeader(b []byte, spec *MetricSpec) []byte {
	b = append(b, "# HELP "...)
	b = append(b, spec.Name...)
	b = append(b, ' ')
	b = appendHelp(b, spec.Help)
	b = append(b, "\n# TYPE "...)
	b = append(b, spec.Name...)
	b = append(b, ' ')
	b = append(b, spec.Type...)
	return append(b, '\n')
}

// appendLabelValue appends s escaped for a label value, made valid UTF-8
// and capped at maxLabelValueBytes (Kubernetes names are at most 253
// bytes: anything longer is hostile or broken input that would only bloat
// the TSDB).
func appendLabelValue(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) > maxLabelValueBytes {
		s = strings.ToValidUTF8(s[:maxLabelValueBytes], "")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendHelp(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat writes v as client_golang's text encoder does.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case v == 1:
		return append(b, '1')
	case v == 0:
		return append(b, '0')
	case v == -1:
		return append(b, '-', '1')
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
