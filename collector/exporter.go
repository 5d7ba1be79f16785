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
			Help:   "When the informer's cache was last known current (Unix time): the scrape's time while its watch is open, else when its last list succeeded or its last watch ended (a watch open past the timeout it asked for counts from its start: a hung connection). The scrape's time less this is how stale the exported picture of the resource is; during an API server outage the last state is served and this value stops. Absent until a list or watch succeeds.",
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
