package collector

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/hypotheses"
	"github.com/kube-reliability/kube-reliability-exporter/internal/hypothesisfile"
)

// maxEvidence bounds what an answer lists: a chaos tool wants a small body.
const maxEvidence = 20

// certificateHorizonDays is how soon an expiry breaks no-certificate-expiring,
// as the warning alert's threshold.
const certificateHorizonDays = 14

// Answer is the verdict on one steady-state hypothesis.
type Answer = hypotheses.Answer

// hypothesis counts what breaks it; an error means the answer is unknown.
type hypothesis struct {
	name, description string
	offenders         func() ([]string, error)
}

// Hypotheses are the steady-state hypotheses chaos tools ask about over
// HTTP (/hypotheses): the exporter's own verdicts, from the analyses the
// collectors already cached, so an answer costs no new analysis while the
// cluster is unchanged.
type Hypotheses struct {
	list []hypothesis
	now  func() time.Time
	// user: the hypotheses file's, nil without one.
	user *hypothesisfile.Reloader

	// refresh renders the Set the hypotheses belong to, which evaluates
	// them all (the hypotheses collector runs after the others, over
	// their fresh output) and stores the answers in last.
	refresh func()
	mu      sync.Mutex
	last    []Answer
}

// errUnknown wraps why an answer is not known.
var errUnknown = hypotheses.ErrUnknown

// All answers every hypothesis, built-ins first, in a fixed order. The
// answers come from a render of the Set (what a scrape would serve: an
// unchanged cluster costs no analysis).
func (h *Hypotheses) All() []Answer {
	if h.refresh == nil {
		return h.evaluate(nil)
	}
	h.refresh()
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.last)
}

// Get answers the hypothesis name; false when there is none.
func (h *Hypotheses) Get(name string) (Answer, bool) {
	for _, a := range h.All() {
		if a.Name == name {
			return a, true
		}
	}
	return Answer{}, false
}

// Names lists the built-in hypotheses, which a file may not redefine.
func (h *Hypotheses) builtinNames() []string {
	var out []string
	for _, x := range h.list {
		out = append(out, x.name)
	}
	return out
}

// evaluate answers every hypothesis now; view hands out the Set's
// families for the user-defined ones.
func (h *Hypotheses) evaluate(view familyView) []Answer {
	at := h.now().UTC()
	out := make([]Answer, 0, len(h.list))
	for _, x := range h.list {
		out = append(out, h.answer(x, at))
	}
	if h.user != nil {
		list, _ := h.user.Current()
		for _, x := range list {
			out = append(out, h.answerUser(x, view, at))
		}
	}
	return out
}

func (h *Hypotheses) answer(x hypothesis, at time.Time) Answer {
	a := Answer{Name: x.name, Description: x.description, Evidence: []string{}, EvaluatedAt: at}
	offenders, err := x.offenders()
	if err != nil {
		a.Reason = err.Error()
		return a
	}
	n := float64(len(offenders))
	holds := n <= a.Threshold
	a.Holds, a.Observed = &holds, &n
	if len(offenders) > maxEvidence {
		offenders = offenders[:maxEvidence]
	}
	a.Evidence = append(a.Evidence, offenders...)
	return a
}

var hypothesesSpec = Spec{
	Name: "hypotheses", Modes: Central | Demo, DefaultEnabled: true, Reads: reads("poddisruptionbudgets", "services", "persistentvolumeclaims", "persistentvolumes"),
	Metrics: []MetricSpec{
		{Name: "kube_reliability_hypothesis_holds", Type: Gauge, Stability: Experimental,
			Help: "1 if the steady-state hypothesis holds, 0 if not (what /hypotheses/<name> answers with 200 or 503); absent while it is unknown.", Labels: []string{"hypothesis"}, Bound: "one series per hypothesis (user-defined ones: 200 at most)"},
		{Name: "kube_reliability_hypotheses_file_valid", Type: Gauge, Stability: Experimental,
			Help: "1 if the hypotheses file (RELIABILITY_HYPOTHESES_FILE) as it is now validates, 0 if a change to it does not (the last valid version stays in force; the log says why). Absent without a file.", Bound: "one series"},
	},
	// It reads the other collectors' output: it runs after them.
	RunsLast: true,
	New: func(d Deps) (Collector, error) {
		h := newHypotheses(d)
		if d.HypothesesFile != "" {
			h.user = &hypothesisfile.Reloader{Path: d.HypothesesFile, Reserved: h.builtinNames(), Logger: d.Logger}
		}
		if d.shared != nil {
			d.shared.hypotheses = h
		}
		return &hypothesesCollector{h: h, shared: d.shared}, nil
	},
}

type hypothesesCollector struct {
	h      *Hypotheses
	shared *shared
}

func (c *hypothesesCollector) Update(_ context.Context, e *Emitter) error {
	var view familyView
	if c.shared != nil {
		view = c.shared.view
	}
	answers := c.h.evaluate(view)
	c.h.mu.Lock()
	c.h.last = answers
	c.h.mu.Unlock()
	for _, a := range answers {
		if a.Holds != nil {
			e.Bool("kube_reliability_hypothesis_holds", *a.Holds, a.Name)
		}
	}
	if c.h.user != nil {
		_, valid := c.h.user.Current()
		e.Bool("kube_reliability_hypotheses_file_valid", valid)
	}
	return nil
}
