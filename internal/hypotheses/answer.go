package hypotheses

import (
	"errors"
	"time"
)

// ErrUnknown wraps why an answer is not known: unknown is never a pass.
var ErrUnknown = errors.New("unknown")

// Answer is the verdict on one steady-state hypothesis.
type Answer struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Expression is a user-defined hypothesis as PromQL (absent for the
	// built-ins).
	Expression string `json:"expression,omitempty"`
	// Holds is nil while the answer is not known (caches not synced, a
	// source down): unknown is never a pass.
	Holds *bool `json:"holds"`
	// Observed is what the hypothesis compares with Threshold: for the
	// built-ins the count of what breaks it (it holds while Observed is
	// at most Threshold), for user-defined ones the aggregate (or the
	// count of series failing the comparison). Absent when unknown.
	Observed  *float64 `json:"observed,omitempty"`
	Threshold float64  `json:"threshold"`
	// Evidence names what breaks it, at most 20 entries.
	Evidence    []string  `json:"evidence"`
	Reason      string    `json:"reason,omitempty"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}
