//go:build !agentonly

package collector

import (
	"context"
	"fmt"

	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// APIServiceSource hands out the cluster's APIServices.
type APIServiceSource interface {
	APIServices() ([]certs.APIService, error)
}

var apiservicesSpec = Spec{
	Name: "apiservices", Modes: Central, DefaultEnabled: true, Uses: []Source{APIServices},
	Metrics: []MetricSpec{
		{Name: "kube_reliability_apiservice_ca_expiry_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Soonest not-after of the certificates in an aggregated API's caBundle (its APIService object, not a Secret): once it passes, the aggregator cannot verify the API's server and the API (metrics.k8s.io, and with it CPU-based autoscaling) is unavailable. Absent for APIServices the API server serves itself, that skip verification, or have an empty bundle.", Labels: []string{"apiservice", "service"}, Bound: "one series per aggregated API with a caBundle"},
		{Name: "kube_reliability_apiservice_ca_invalid", Type: Gauge, Stability: Experimental,
			Help: "1 for an aggregated API whose caBundle holds no parsable PEM certificate.", Labels: []string{"apiservice", "service"}, Bound: "one series per such APIService"},
		{Name: "kube_reliability_apiservice_insecure_skip_tls_verify", Type: Gauge, Stability: Experimental,
			Help: "1 for an aggregated API with insecureSkipTLSVerify: the aggregator trusts whatever answers at its Service.", Labels: []string{"apiservice", "service"}, Bound: "one series per such APIService"},
	},
	New: func(d Deps) (Collector, error) { return &apiservicesCollector{src: d.APIServices}, nil },
}

type apiservicesCollector struct{ src APIServiceSource }

func (c *apiservicesCollector) Update(_ context.Context, e *Emitter) error {
	if c.src == nil {
		return fmt.Errorf("%w: APIServices are not watched", cluster.ErrNoData)
	}
	list, err := c.src.APIServices()
	if err != nil {
		return err
	}
	for _, a := range list {
		switch {
		case a.Local:
		case a.InsecureSkipVerify:
			e.Gauge("kube_reliability_apiservice_insecure_skip_tls_verify", 1, a.Name, a.Service.String())
		case len(a.CABundle) == 0:
		default:
			if t, err := certs.EarliestExpiry(a.CABundle); err != nil {
				e.Gauge("kube_reliability_apiservice_ca_invalid", 1, a.Name, a.Service.String())
			} else {
				e.Gauge("kube_reliability_apiservice_ca_expiry_timestamp_seconds", float64(t.Unix()), a.Name, a.Service.String())
			}
		}
	}
	return nil
}
