package collector

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// maxLabelValueBytes caps label values: Kubernetes names are at most 253
// bytes, so anything longer is hostile or broken input that would only
// bloat the TSDB.
const maxLabelValueBytes = 256

type family struct {
	spec *MetricSpec
	desc *prometheus.Desc
}

// Emitter collects one collector's metrics for one scrape. It never panics:
// a metric the Spec does not declare, or wrong label values, is recorded as
// an error and fails the collector.
type Emitter struct {
	families map[string]family
	out      []prometheus.Metric
	err      error
}

func newEmitter(f map[string]family) *Emitter { return &Emitter{families: f} }

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
	vt := prometheus.GaugeValue
	if t == Counter {
		vt = prometheus.CounterValue
	}
	lv := make([]string, len(labelValues))
	for i, s := range labelValues {
		s = strings.ToValidUTF8(s, "\uFFFD")
		if len(s) > maxLabelValueBytes {
			s = strings.ToValidUTF8(s[:maxLabelValueBytes], "")
		}
		lv[i] = s
	}
	m, err := prometheus.NewConstMetric(f.desc, vt, v, lv...)
	if err != nil {
		e.fail(fmt.Errorf("metric %s: %w", name, err))
		return
	}
	e.out = append(e.out, m)
}

func (e *Emitter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}
