package collector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
)

// maxEvidence bounds what an answer lists: a chaos tool wants a small body.
const maxEvidence = 20

// certificateHorizonDays is how soon an expiry breaks no-certificate-expiring,
// as the warning alert's threshold.
const certificateHorizonDays = 14

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
	user *userHypotheses

	// refresh renders the Set the hypotheses belong to, which evaluates
	// them all (the hypotheses collector runs after the others, over
	// their fresh output) and stores the answers in last.
	refresh func()
	mu      sync.Mutex
	last    []Answer
}

// errUnknown wraps why an answer is not known.
var errUnknown = errors.New("unknown")

func newHypotheses(d Deps) *Hypotheses {
	pl := sharedAnalysis(d, "placement", d.Cluster, placement.Analyze, placementReads...)
	lo := sharedAnalysis(d, "loss", d.Cluster, loss.Analyze, lossReads...)
	di := sharedAnalysis(d, "disruption", d.Cluster, disruption.Analyze, disruptionReads...)
	ca := sharedAnalysis(d, "capacity", d.Cluster, capacity.Analyze, lossReads...)
	h := &Hypotheses{now: d.now}
	h.list = []hypothesis{
		{"no-single-node-workload", "No workload of two or more replicas has all its ready replicas on one node.", func() ([]string, error) {
			r, err := pl.get()
			if err != nil {
				return nil, err
			}
			var out []string
			for _, w := range r.Workloads {
				if w.SingleNode {
					out = append(out, w.Kind+" "+w.Namespace+"/"+w.Name)
				}
			}
			return out, nil
		}},
		{"survives-node-loss", "The loss of any one node leaves every workload (bare pods included) with a ready replica.", func() ([]string, error) {
			r, err := lo.get()
			if err != nil {
				return nil, err
			}
			var out []string
			for _, n := range r.Nodes {
				out = append(out, fmt.Sprintf("node %s: %d workloads lost", n.Name, n.Lost))
			}
			return out, nil
		}},
		{"survives-zone-loss", "The loss of any one zone leaves every workload (bare pods included) with a ready replica.", func() ([]string, error) {
			r, err := lo.get()
			if err != nil {
				return nil, err
			}
			if !r.ZonesKnown {
				return nil, fmt.Errorf("%w: a ready replica runs on a node without a zone label", errUnknown)
			}
			var out []string
			for _, z := range r.Zones {
				if z.Lost > 0 {
					out = append(out, fmt.Sprintf("zone %s: %d workloads lost", z.Name, z.Lost))
				}
			}
			return out, nil
		}},
		{"no-node-drain-blocked", "No node drain would hang right now on a PodDisruptionBudget.", func() ([]string, error) {
			r, err := di.get()
			if err != nil {
				return nil, err
			}
			var out []string
			unknown := 0
			for _, n := range r.Nodes {
				switch {
				case !n.Known:
					unknown++
				case n.Blocked:
					out = append(out, "node "+n.Name)
				}
			}
			if len(out) == 0 && unknown > 0 {
				return nil, fmt.Errorf("%w: %d nodes hold pods under a PodDisruptionBudget whose budget cannot be computed", errUnknown, unknown)
			}
			return out, nil
		}},
	}
	h.list = append(h.list, hypothesis{"zone-loss-absorbable", "The nodes of the other zones could hold the pods controllers would re-create if any one zone were lost.", func() ([]string, error) {
		r, err := ca.get()
		if err != nil {
			return nil, err
		}
		if len(r.Zones) == 0 {
			return nil, fmt.Errorf("%w: no node has a zone label", errUnknown)
		}
		var out, undecided []string
		for _, z := range r.Zones {
			if z.Unschedulable > 0 {
				out = append(out, fmt.Sprintf("zone %s: %d of %d pods unschedulable (%s)", z.Name, z.Unschedulable, z.Pods, strandedList(z.Stranded)))
			}
			if z.Unknown > 0 {
				undecided = append(undecided, fmt.Sprintf("zone %s: %d of %d pods undecided (%s)", z.Name, z.Unknown, z.Pods, strandedList(z.Undecided)))
			}
		}
		if len(out) == 0 && len(undecided) > 0 {
			return nil, fmt.Errorf("%w: %s", errUnknown, strings.Join(undecided, "; "))
		}
		return out, nil
	}})
	if d.Health != nil {
		he := healthAnalysis(d)
		h.list = append(h.list, hypothesis{"no-health-check-cycle", "No workload's health checks depend, through other workloads' checks, on itself.", func() ([]string, error) {
			r, err := he.get()
			if err != nil {
				return nil, err
			}
			var out []string
			for _, w := range r.Workloads {
				if w.InCycle {
					out = append(out, w.Key.Kind+" "+w.Key.Namespace+"/"+w.Key.Name)
				}
			}
			if len(out) == 0 && r.EndpointsKnown < r.EndpointsExpected {
				return nil, fmt.Errorf("%w: %d of %d health endpoints not read yet", errUnknown, r.EndpointsExpected-r.EndpointsKnown, r.EndpointsExpected)
			}
			return out, nil
		}})
	}
	if d.Certs != nil {
		h.list = append(h.list, hypothesis{"no-certificate-expiring", fmt.Sprintf("No TLS endpoint the exporter probes (Ingress and Gateway hosts, admission webhooks, aggregated APIs, the API server, etcd members) serves a certificate that expires within %d days (or has expired).", certificateHorizonDays), func() ([]string, error) {
			if d.Certs.Rounds() == 0 {
				return nil, fmt.Errorf("%w: the first round of TLS probes has not ended", errUnknown)
			}
			horizon := d.now().Add(certificateHorizonDays * 24 * time.Hour)
			expires := func(t time.Time) string { return "expires " + t.UTC().Format(time.RFC3339) }
			var out []string
			for ep, p := range d.Certs.Results() {
				if p.Reason == "" && p.LeafNotAfter.Before(horizon) {
					obj := ep.Name
					if ep.Namespace != "" {
						obj = ep.Namespace + "/" + ep.Name
					}
					out = append(out, fmt.Sprintf("%s %s %s: %s", ep.Kind, obj, ep.Host, expires(p.LeafNotAfter)))
				}
			}
			// etcd members' served certificates, from the etcd poller: one
			// model for every certificate the cluster depends on.
			if d.Etcd != nil {
				st, ok := d.Etcd.Latest()
				if !ok {
					return nil, fmt.Errorf("%w: etcd members not polled yet", errUnknown)
				}
				for _, m := range st {
					if !m.CertNotAfter.IsZero() && m.CertNotAfter.Before(horizon) {
						out = append(out, fmt.Sprintf("etcd member %s: %s", m.Name, expires(m.CertNotAfter)))
					}
				}
			}
			slices.Sort(out)
			return slices.Compact(out), nil
		}})
	}
	if d.Etcd != nil && d.EtcdJudgement.Issues != nil {
		h.list = append(h.list, hypothesis{"etcd-healthy", "Every configured etcd member is up, all run one version, and no known issue affects it.", func() ([]string, error) {
			st, ok := d.Etcd.Latest()
			if !ok {
				return nil, fmt.Errorf("%w: etcd members not polled yet", errUnknown)
			}
			var out []string
			for _, m := range st {
				if !m.Up {
					out = append(out, "member "+m.Name+" down: "+m.Reason)
				}
			}
			if v, ok := judgeMembers(st, d.EtcdJudgement); ok {
				if v.Drift > 0 {
					out = append(out, fmt.Sprintf("%d versions run", v.Drift+1))
				}
				for _, id := range v.KnownIssues {
					out = append(out, "known issue "+id)
				}
			}
			return out, nil
		}})
	}
	return h
}

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
		list, _ := h.user.current()
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
			h.user = &userHypotheses{path: d.HypothesesFile, reserved: h.builtinNames(), logger: d.Logger}
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
		_, valid := c.h.user.current()
		e.Bool("kube_reliability_hypotheses_file_valid", valid)
	}
	return nil
}

// strandedList names each workload with its pods and reason:
// "shop/Deployment/cart 2 topology_spread".
func strandedList(ss []capacity.Stranded) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%s %d %s", s.Workload, s.Pods, s.Reason)
	}
	return strings.Join(parts, ", ")
}
