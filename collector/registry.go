package collector

import (
	"fmt"
	"slices"
	"strings"
)

// agentSpecs are agent mode's collectors, in All's order: the agent-only
// build links these alone (TestAgentSpecs keeps the two lists agreeing).
var agentSpecs = []*Spec{&exporterSpec, &etcdDiskSpec, &nginxSpec, &nginxStubStatusSpec}

// BuildInfoSpec documents kube_reliability_build_info, which the exporter
// registers from client_golang's version collector rather than a Spec.
var BuildInfoSpec = MetricSpec{
	Name: "kube_reliability_build_info", Type: Gauge, Stability: Stable,
	Help:   "A metric with a constant '1' value labeled by version, revision, branch, goversion from which kube_reliability was built, and the goos and goarch for the build.",
	Labels: []string{"branch", "goarch", "goos", "goversion", "revision", "tags", "version"},
	Bound:  "one series",
}

// MetaSpecs are the families every Set emits besides its collectors'.
var MetaSpecs = []MetricSpec{BuildInfoSpec, scrapeDurationSpec, scrapeSuccessSpec, scrapeNoDataSpec, collectorUpdatesSpec}

// Select returns the collectors to run in mode: those enabled by default,
// plus enabled, minus disabled. Naming an unknown collector, or one that
// does not run in mode, is an error.
func Select(mode Mode, enabled, disabled []string) ([]*Spec, error) {
	byName := map[string]*Spec{}
	for _, s := range All {
		byName[s.Name] = s
	}
	check := func(names []string) error {
		for _, n := range names {
			s, ok := byName[n]
			if !ok {
				return fmt.Errorf("unknown collector %q (known: %s)", n, strings.Join(Names(), ", "))
			}
			if s.Modes&mode == 0 {
				return fmt.Errorf("collector %q does not run in %s mode (it runs in: %s)", n, mode, s.Modes)
			}
		}
		return nil
	}
	if err := check(enabled); err != nil {
		return nil, err
	}
	if err := check(disabled); err != nil {
		return nil, err
	}
	var out []*Spec
	for _, s := range All {
		if s.Modes&mode == 0 || slices.Contains(disabled, s.Name) {
			continue
		}
		if s.DefaultEnabled || slices.Contains(enabled, s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Names lists every collector name.
func Names() []string {
	n := make([]string, len(All))
	for i, s := range All {
		n[i] = s.Name
	}
	return n
}
