package collector

import (
	"fmt"
)

// maxLabelValueBytes caps label values: Kubernetes names are at most 253
// bytes, so anything longer is hostile or broken input that would only
// bloat the TSDB.
const maxLabelValueBytes = 256

// Emitter collects one collector's metrics for one scrape, as text lines
// per family. It never panics: a metric the Spec does not declare, or
// wrong label values, is recorded as an error and fails the collector.
type Emitter struct {
	families map[string]*familyText
	err      error
}

func newEmitter(specs []MetricSpec, hints map[string]int) *Emitter {
	e := &Emitter{families: make(map[string]*familyText, len(specs))}
	for i := range specs {
		f := newFamilyText(&specs[i])
		if n := hints[specs[i].Name]; n > 0 {
			// Last scrape's size: one allocation instead of a dozen
			// doublings for a family of 15,000 series.
			f.buf = make([]byte, 0, n+n/8)
		}
		e.families[specs[i].Name] = f
	}
	return e
}

// Gauge emits a gauge sample of the named family.
func (e *Emitter) Gauge(name string, v float64, labelValues ...string) {
	e.emit(name, Gauge, v, labelValues)
}

// Counter emits a counter sample of the named family.
func (e *Emitter) Counter(name string, v float64, labelValues ...string) {
	e.emit(name, Counter, v, labelValues)
}

// Bool emits 1 for true and 0 for false.
func (e *Emitter) Bool(name string, b bool, labelValues ...string) {
	v := 0.0
	if b {
		v = 1
	}
	e.Gauge(name, v, labelValues...)
}

func (e *Emitter) emit(name string, t Type, v float64, labelValues []string) {
	f, ok := e.families[name]
	if !ok {
		e.fail(fmt.Errorf("metric %s is not declared in the collector's spec", name))
		return
	}
	if f.spec.Type != t {
		e.fail(fmt.Errorf("metric %s is a %s, emitted as a %s", name, f.spec.Type, t))
		return
	}
	if len(labelValues) != len(f.spec.Labels) {
		e.fail(fmt.Errorf("metric %s: %d label values for %d labels %v", name, len(labelValues), len(f.spec.Labels), f.spec.Labels))
		return
	}
	f.appendSample(v, labelValues)
}

func (e *Emitter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}
