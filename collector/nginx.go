package collector

import (
	"context"

	"github.com/kube-reliability/kube-reliability-exporter/ingress"
)

// NginxSource hands out what the background sampler knows about the
// node's nginx instances (ingress.Tracker).
type NginxSource interface {
	// Ready is nil once /proc has been scanned and the last scan
	// succeeded; until then the instances are unknown, not none.
	Ready() error
	Instances() []ingress.Instance
	Errors() map[string]uint64
}

// PodNamer names the pod with a UID among this node's pods (kube.NodePods).
// synced is false until it has listed them once.
type PodNamer interface {
	Pod(uid string) (namespace, name string, found, synced bool)
}

var nginxLabels = []string{"namespace", "pod", "listen"}

const perNginx = "one series per nginx instance on the node (its pod, if any, and listening ports)"

// Why an instance has no pod labels.
const (
	noPodHost     = "host"          // not in a pod's cgroup: nginx runs on the node itself
	noPodNotFound = "pod_not_found" // in a pod's cgroup, but no pod of this node has its UID
	noPodPending  = "pending"       // this node's pods not listed yet
	noPodDisabled = "disabled"      // no RELIABILITY_NODE_NAME or no API access
)

var nginxReadErrorReasons = []string{ingress.ReasonPermission, ingress.ReasonMalformed, ingress.ReasonOther}

var nginxSpec = Spec{
	Name: "nginx", Modes: Agent | Demo, DefaultEnabled: true,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_nginx_instances", Type: Gauge, Stability: Experimental,
			Help: "nginx masters found on the node.", Bound: "one series"},
		{Name: "kube_reliability_nginx_instances_without_pod", Type: Gauge, Stability: Experimental,
			Help:   "nginx instances whose series carry no pod, by why: host (runs on the node itself), pod_not_found (in a pod cgroup no pod of this node has), pending (this node's pods not listed yet), disabled (no RELIABILITY_NODE_NAME or API access).",
			Labels: []string{"reason"}, Bound: "4 series"},
		{Name: "kube_reliability_nginx_reloads_total", Type: Counter, Stability: Experimental,
			Help: "Reloads of the nginx instance (new worker generations) seen since the agent started; exact for reloads at least two sampling intervals apart.", Labels: nginxLabels, Bound: perNginx},
		{Name: "kube_reliability_nginx_last_reload_timestamp_seconds", Type: Gauge, Stability: Experimental,
			Help: "Unix time of the last reload seen; absent before the first.", Labels: nginxLabels, Bound: perNginx},
		{Name: "kube_reliability_nginx_workers_shutting_down", Type: Gauge, Stability: Experimental,
			Help: "Workers of the instance still shutting down after a reload (each holds memory and old connections).", Labels: nginxLabels, Bound: perNginx},
		{Name: "kube_reliability_nginx_shutting_down_client_connections", Type: Gauge, Stability: Experimental,
			Help: "Client connections (accepted on the instance's listening addresses) held by workers shutting down after a reload; absent while the agent cannot read the instance's sockets (see kube_reliability_nginx_proc_read_errors_total).", Labels: nginxLabels, Bound: perNginx},
		{Name: "kube_reliability_nginx_reload_dropped_connections_total", Type: Counter, Stability: Experimental,
			Help: "Client connections still open in a shutting-down worker when it exited or was force-closed: the connections reloads dropped; absent once the agent failed to read the instance's sockets.", Labels: nginxLabels, Bound: perNginx},
		{Name: "kube_reliability_nginx_proc_read_errors_total", Type: Counter, Stability: Experimental,
			Help:   "Failed reads of /proc while sampling nginx processes, by reason: permission (the agent lacks CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH: connections of other users' workers are not counted), malformed, other. Processes vanishing mid-read are normal and not counted.",
			Labels: []string{"reason"}, Bound: "3 series"},
	},
	New: func(d Deps) (Collector, error) {
		if d.Nginx == nil {
			return noSource{}, nil
		}
		return nginxCollector{src: d.Nginx, pods: d.NodePods}, nil
	},
}

type nginxCollector struct {
	src  NginxSource
	pods PodNamer // nil: no lookup
}

type nginxKey struct{ namespace, pod, listen string }

func (c nginxCollector) Update(_ context.Context, e *Emitter) error {
	if err := c.src.Ready(); err != nil {
		return err
	}
	instances := c.src.Instances()
	e.Gauge("kube_reliability_nginx_instances", float64(len(instances)))
	without := map[string]int{noPodHost: 0, noPodNotFound: 0, noPodPending: 0, noPodDisabled: 0}
	// Two instances can share a label set (two host nginx on the same
	// ports in different network namespaces): their series are summed.
	merged := map[nginxKey]*ingress.Instance{}
	var keys []nginxKey
	for _, in := range instances {
		k := nginxKey{listen: in.Listen}
		switch {
		case in.PodUID == "":
			without[noPodHost]++
		case c.pods == nil:
			without[noPodDisabled]++
		default:
			ns, name, found, synced := c.pods.Pod(in.PodUID)
			switch {
			case found:
				k.namespace, k.pod = ns, name
			case synced:
				without[noPodNotFound]++
			default:
				without[noPodPending]++
			}
		}
		m, ok := merged[k]
		if !ok {
			cp := in
			merged[k], keys = &cp, append(keys, k)
			continue
		}
		m.ConnectionsKnown = m.ConnectionsKnown && in.ConnectionsKnown
		m.Reloads += in.Reloads
		m.Dropped += in.Dropped
		m.ShuttingDown += in.ShuttingDown
		m.HeldConnections += in.HeldConnections
		if in.LastReload.After(m.LastReload) {
			m.LastReload = in.LastReload
		}
	}
	for reason, n := range without {
		e.Gauge("kube_reliability_nginx_instances_without_pod", float64(n), reason)
	}
	for _, k := range keys {
		in := merged[k]
		lv := []string{k.namespace, k.pod, k.listen}
		e.Counter("kube_reliability_nginx_reloads_total", float64(in.Reloads), lv...)
		if !in.LastReload.IsZero() {
			e.Gauge("kube_reliability_nginx_last_reload_timestamp_seconds", float64(in.LastReload.UnixNano())/1e9, lv...)
		}
		e.Gauge("kube_reliability_nginx_workers_shutting_down", float64(in.ShuttingDown), lv...)
		// Sockets the agent could not read: no connection counts rather
		// than made-up zeros (the read errors say why).
		if in.ConnectionsKnown {
			e.Gauge("kube_reliability_nginx_shutting_down_client_connections", float64(in.HeldConnections), lv...)
			e.Counter("kube_reliability_nginx_reload_dropped_connections_total", float64(in.Dropped), lv...)
		}
	}
	errs := c.src.Errors()
	for _, reason := range nginxReadErrorReasons {
		e.Counter("kube_reliability_nginx_proc_read_errors_total", float64(errs[reason]), reason)
	}
	return nil
}
