package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/ingress"
)

// NginxSource hands out what the background sampler knows about the
// node's nginx instances (ingress.Tracker).
type NginxSource interface {
	Instances() []ingress.Instance
	Errors() uint64
}

var listenLabel = []string{"listen"}

const perNginx = "one series per nginx instance on the node (labelled by its listening ports)"

var nginxSpec = Spec{
	Name: "nginx", Modes: Agent | Demo, DefaultEnabled: true,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_nginx_instances", Type: Gauge, Stability: Experimental,
			Help: "nginx masters found on the node.", Bound: "one series"},
		{Name: "kube_reliability_nginx_reloads_total", Type: Counter, Stability: Experimental,
			Help: "Reloads of the nginx instance (new worker generations) seen since the agent started; exact for reloads at least two sampling intervals apart.", Labels: listenLabel, Bound: perNginx},
		{Name: "kube_reliability_nginx_last_reload_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Unix time of the last reload seen; absent before the first.", Labels: listenLabel, Bound: perNginx},
		{Name: "kube_reliability_nginx_workers_shutting_down", Type: Gauge, Stability: Experimental,
			Help: "Workers of the instance still shutting down after a reload (each holds memory and old connections).", Labels: listenLabel, Bound: perNginx},
		{Name: "kube_reliability_nginx_shutting_down_client_connections", Type: Gauge, Stability: Experimental,
			Help: "Client connections (accepted on the instance's listening addresses) held by workers shutting down after a reload.", Labels: listenLabel, Bound: perNginx},
		{Name: "kube_reliability_nginx_reload_dropped_connections_total", Type: Counter, Stability: Experimental,
			Help: "Client connections still open in a shutting-down worker when it exited or was force-closed: the connections reloads dropped.", Labels: listenLabel, Bound: perNginx},
		{Name: "kube_reliability_nginx_proc_read_errors_total", Type: Counter, Stability: Experimental,
			Help: "Failed reads of /proc while sampling nginx processes (beyond processes vanishing mid-read, which is normal).", Bound: "one series"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Nginx == nil {
			return noSource{}, nil
		}
		return nginxCollector{d.Nginx}, nil
	},
}

type nginxCollector struct{ src NginxSource }

func (c nginxCollector) Update(_ context.Context, e *Emitter) error {
	instances := c.src.Instances()
	e.Gauge("kube_reliability_nginx_instances", float64(len(instances)))
	for _, in := range instances {
		e.Counter("kube_reliability_nginx_reloads_total", float64(in.Reloads), in.Listen)
		if !in.LastReload.IsZero() {
			e.Gauge("kube_reliability_nginx_last_reload_timestamp_seconds", float64(in.LastReload.UnixNano())/1e9, in.Listen)
		}
		e.Gauge("kube_reliability_nginx_workers_shutting_down", float64(in.ShuttingDown), in.Listen)
		e.Gauge("kube_reliability_nginx_shutting_down_client_connections", float64(in.HeldConnections), in.Listen)
		e.Counter("kube_reliability_nginx_reload_dropped_connections_total", float64(in.Dropped), in.Listen)
	}
	e.Counter("kube_reliability_nginx_proc_read_errors_total", float64(c.src.Errors()))
	return nil
}
