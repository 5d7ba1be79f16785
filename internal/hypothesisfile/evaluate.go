package hypothesisfile

import (
	"fmt"
	"math"
)

// Verdict is one evaluation of a hypothesis.
type Verdict struct {
	// Unknown says why the answer is not known ("" when it is).
	Unknown string
	Holds   bool
	// Observed is the aggregate, or without an aggregation the number of
	// selected series that fail the comparison.
	Observed float64
	// Offenders are the selected series that fail the comparison on their
	// own (for sum and count: the series that count), as text.
	Offenders []string
	// Selected counts the series the matchers select.
	Selected int
}

// Evaluate answers h over the samples of its family.
func (h Hypothesis) Evaluate(samples []Sample) Verdict {
	var v Verdict
	var selected []Sample
	for _, s := range samples {
		if h.selects(s) {
			selected = append(selected, s)
		}
	}
	v.Selected = len(selected)
	if len(selected) == 0 && h.Aggregation != "sum" && h.Aggregation != "count" {
		// A typo in a matcher must not pass silently.
		v.Unknown = fmt.Sprintf("no series of %s match the matchers", h.Family)
		return v
	}
	failing := func() []string {
		var out []string
		for _, s := range selected {
			if !compare(s.Value, h.Comparison, h.Threshold) {
				out = append(out, s.String())
			}
		}
		return out
	}
	switch h.Aggregation {
	case "":
		v.Offenders = failing()
		v.Observed = float64(len(v.Offenders))
		v.Holds = len(v.Offenders) == 0
		return v
	case "count":
		v.Observed = float64(len(selected))
	case "sum":
		for _, s := range selected {
			v.Observed += s.Value
		}
	case "avg":
		for _, s := range selected {
			v.Observed += s.Value
		}
		v.Observed /= float64(len(selected))
	case "min":
		v.Observed = math.Inf(1)
		for _, s := range selected {
			v.Observed = math.Min(v.Observed, s.Value)
		}
	case "max":
		v.Observed = math.Inf(-1)
		for _, s := range selected {
			v.Observed = math.Max(v.Observed, s.Value)
		}
	}
	v.Holds = compare(v.Observed, h.Comparison, h.Threshold)
	if !v.Holds {
		switch h.Aggregation {
		case "sum", "count":
			for _, s := range selected {
				if s.Value != 0 || h.Aggregation == "count" {
					v.Offenders = append(v.Offenders, s.String())
				}
			}
		default:
			v.Offenders = failing()
		}
	}
	return v
}

func (h Hypothesis) selects(s Sample) bool {
	for _, m := range h.Matchers {
		if !m.Matches(s.Get(m.Name)) {
			return false
		}
	}
	return true
}

func compare(a float64, op string, b float64) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	default:
		return a >= b
	}
}

// Expression renders h as the PromQL it stands for.
func (h Hypothesis) Expression() string {
	sel := h.Family
	if len(h.Matchers) > 0 {
		sel += "{"
		for i, m := range h.Matchers {
			if i > 0 {
				sel += ","
			}
			sel += m.String()
		}
		sel += "}"
	}
	if h.Aggregation != "" {
		sel = h.Aggregation + "(" + sel + ")"
	}
	return fmt.Sprintf("%s %s %g", sel, h.Comparison, h.Threshold)
}
