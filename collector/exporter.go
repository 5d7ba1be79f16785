package collector

import (
	"context"
	"errors"
)

var exporterSpec = Spec{
	Name: "exporter", Modes: Central | Agent | Demo, DefaultEnabled: true,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_informer_synced", Type: Gauge, Stability: Stable,
			Help:   "1 if the informer cache of the resource has completed its first list, else 0 (not yet, or forbidden: the error count says which); the collectors reading it export nothing until then, the others are not held back.",
			Labels: []string{"resource"}, Bound: "one series per watched resource kind (Helm storages, Gateway API kinds and KEDA ScaledObjects included, once found)"},
		{Name: "kube_reliability_source_errors_total", Type: Counter, Stability: Stable,
			Help:   "List and watch errors seen by the source for the resource since the exporter started (a watch closing normally or expiring is not one).",
			Labels: []string{"source", "resource"}, Bound: "one series per source and watched resource kind"},
		{Name: "kube_reliability_informer_last_success_timestamp_seconds", Type: Gauge, Stability: Stable,
			Help:   "When a list or watch request of the informer last succeeded (Unix time). A healthy informer re-watches at least every 10 minutes, so an older value is a stuck or failing watch. Absent until one succeeds.",
			Labels: []string{"resource"}, Bound: "one series per watched resource kind"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Status == nil {
			return nil, errors.New("no source status to report")
		}
		return exporterCollector{d.Status}, nil
	},
}

type exporterCollector struct {
	status interface{ Status() []ResourceStatus }
}

func (c exporterCollector) Update(_ context.Context, e *Emitter) error {
	for _, s := range c.status.Status() {
		e.Bool("kube_reliability_informer_synced", s.Synced, s.Resource)
		e.Counter("kube_reliability_source_errors_total", float64(s.Errors), s.Source, s.Resource)
		if !s.LastSuccess.IsZero() {
			e.Gauge("kube_reliability_informer_last_success_timestamp_seconds", float64(s.LastSuccess.UnixNano())/1e9, s.Resource)
		}
	}
	return nil
}
