package collector

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/hypothesisfile"
)

// ErrHypothesesFile marks a user hypotheses file that cannot be used at
// start-up (RELIABILITY_HYPOTHESES_FILE).
var ErrHypothesesFile = errors.New("hypotheses file")

// ErrExemptionsFile marks an exemptions file that cannot be used.
var ErrExemptionsFile = errors.New("exemptions file")

// userHypotheses are the hypotheses of RELIABILITY_HYPOTHESES_FILE,
// re-read when the file changes (a ConfigMap update, say). A change that
// does not validate keeps the last valid set, logs why and turns
// kube_reliability_hypotheses_file_valid to 0.
type userHypotheses struct {
	path     string
	known    hypothesisfile.Families
	reserved []string
	logger   *slog.Logger

	mu      sync.Mutex
	list    []hypothesisfile.Hypothesis
	valid   bool
	modTime time.Time
	size    int64
	// lastErr is logged once per distinct error.
	lastErr string
}

// load reads the file for the first time: an error stops the exporter.
func (u *userHypotheses) load() error {
	st, err := os.Stat(u.path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHypothesesFile, err)
	}
	list, err := hypothesisfile.Load(u.path, u.known, u.reserved)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHypothesesFile, err)
	}
	u.list, u.valid, u.modTime, u.size = list, true, st.ModTime(), st.Size()
	u.logger.Info("hypotheses file loaded", "path", u.path, "hypotheses", len(list))
	return nil
}

// current re-reads the file if it changed since the last read and returns
// the hypotheses in force and whether the file as it is now is valid.
func (u *userHypotheses) current() ([]hypothesisfile.Hypothesis, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	st, err := os.Stat(u.path)
	switch {
	case err != nil:
		u.fail(fmt.Errorf("hypotheses file: %w", err))
	case !st.ModTime().Equal(u.modTime) || st.Size() != u.size:
		u.modTime, u.size = st.ModTime(), st.Size()
		list, err := hypothesisfile.Load(u.path, u.known, u.reserved)
		if err != nil {
			u.fail(err)
			break
		}
		u.list, u.valid, u.lastErr = list, true, ""
		u.logger.Info("hypotheses file reloaded", "path", u.path, "hypotheses", len(list))
	}
	return u.list, u.valid
}

func (u *userHypotheses) fail(err error) {
	u.valid = false
	if err.Error() != u.lastErr {
		u.lastErr = err.Error()
		u.logger.Error("hypotheses file not reloaded: keeping the last valid one", "err", err, "hypotheses", len(u.list))
	}
}

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
