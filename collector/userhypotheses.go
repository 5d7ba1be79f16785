package collector

import (
	"errors"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/hypothesisfile"
)

// ErrHypothesesFile marks a user hypotheses file that cannot be used at
// start-up (RELIABILITY_HYPOTHESES_FILE).
var ErrHypothesesFile = errors.New("hypotheses file")

// ErrExemptionsFile marks an exemptions file that cannot be used.
var ErrExemptionsFile = errors.New("exemptions file")

// answerUser evaluates h over its family's samples as the Set's last
// render produced them.
func (h *Hypotheses) answerUser(x hypothesisfile.Hypothesis, view familyView, at time.Time) Answer {
	a := Answer{Name: x.Name, Description: x.Description, Expression: x.Expression(), Threshold: x.Threshold, Evidence: []string{}, EvaluatedAt: at}
	if view == nil {
		a.Reason = "not evaluated: the exporter's own metrics are not available here"
		return a
	}
	samples, err := view(x.Family)
	if err != nil {
		a.Reason = err.Error()
		return a
	}
	v := x.Evaluate(samples)
	if v.Unknown != "" {
		a.Reason = v.Unknown
		return a
	}
	holds, observed := v.Holds, v.Observed
	a.Holds, a.Observed = &holds, &observed
	offenders := v.Offenders
	if len(offenders) > maxEvidence {
		offenders = offenders[:maxEvidence]
	}
	a.Evidence = append(a.Evidence, offenders...)
	return a
}

// familyView hands out the samples of one of the Set's families as its
// collector last produced them; an error says why they are not known.
type familyView func(family string) ([]hypothesisfile.Sample, error)
