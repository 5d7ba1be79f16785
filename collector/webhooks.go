//go:build !agentonly

package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
)

var webhookReads = []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}

var webhooksSpec = Spec{
	Name: "webhooks", Modes: Central, DefaultEnabled: true, Reads: webhookReads,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_webhook_ca_expiry_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Soonest not-after of the certificates in the admission webhook's caBundle (read from the configuration object, not a Secret): once it passes, every call to the webhook fails TLS verification, and with failure_policy Fail every request it matches is refused. Absent for an empty bundle (the API server's own roots verify it).", Labels: []string{"kind", "configuration", "webhook", "failure_policy"}, Bound: "one series per webhook with a caBundle"},
		{Name: "kube_reliability_webhook_ca_invalid", Type: Gauge, Stability: Experimental,
			Help: "1 for an admission webhook whose caBundle holds no parsable PEM certificate: every call to it fails.", Labels: []string{"kind", "configuration", "webhook", "failure_policy"}, Bound: "one series per such webhook"},
	},
	New: func(d Deps) (Collector, error) {
		return &webhooksCollector{a: newAnalysis(d, d.Cluster, certs.Webhooks, webhookReads...)}, nil
	},
}

type webhooksCollector struct {
	a *analysis[[]certs.Webhook]
}

// Version is the cluster snapshot generation.
func (c *webhooksCollector) Version() uint64 { return c.a.version() }

func (c *webhooksCollector) Update(_ context.Context, e *Emitter) error {
	hooks, err := c.a.get()
	if err != nil {
		return err
	}
	for _, w := range hooks {
		switch {
		case w.CAError == certs.ErrEmptyBundle.Error():
		case w.CAError != "":
			e.Gauge("kube_reliability_webhook_ca_invalid", 1, w.Kind, w.Configuration, w.Name, w.FailurePolicy)
		default:
			e.Gauge("kube_reliability_webhook_ca_expiry_timestamp_seconds", float64(w.CANotAfter.Unix()), w.Kind, w.Configuration, w.Name, w.FailurePolicy)
		}
	}
	return nil
}
