//go:build agentonly

package collector

import "errors"

// The agent-only build leaves out what only central's collectors use
// (the capacity simulation, node and zone loss, the score, the built-in
// hypotheses): they never run on a node, and their code would be
// resident on every one.
var errCentralOnly = errors.New("central's collector: not in the agent-only build")

func newLoss(Deps) (Collector, error)  { return nil, errCentralOnly }
func newScore(Deps) (Collector, error) { return nil, errCentralOnly }
func newHypotheses(d Deps) *Hypotheses { return &Hypotheses{now: d.now} }
