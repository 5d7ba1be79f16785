package healthcheck

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Endpoints lists what the fetcher reads: for each workload, the HTTP
// liveness and readiness probes of its first container having them, at
// one ready pod's IP. Probes with httpGet.host point elsewhere and are
// never fetched: the fetcher only ever talks to the workload's own pod.
func Endpoints(snap *cluster.Snapshot) []Endpoint {
	var out []Endpoint
	for _, w := range cluster.Workloads(snap) {
		var pod *cluster.Pod
		for _, p := range w.Pods {
			if cluster.PodReady(p) && p.PodIP != "" {
				if pod == nil || p.Name < pod.Name { // stable choice
					pod = p
				}
			}
		}
		if pod == nil {
			continue
		}
		k := Key{w.Meta.Namespace, w.Kind, w.Meta.Name}
		done := map[string]bool{}
		for _, c := range w.Template.Spec.Containers {
			for probe, p := range map[string]*corev1.Probe{Liveness: c.LivenessProbe, Readiness: c.ReadinessProbe} {
				if done[probe] || p == nil || p.HTTPGet == nil || p.HTTPGet.Host != "" {
					continue
				}
				port, ok := probePort(p.HTTPGet.Port, c)
				if !ok {
					continue
				}
				scheme := "http"
				if p.HTTPGet.Scheme == corev1.URISchemeHTTPS {
					scheme = "https"
				}
				path := p.HTTPGet.Path
				if !strings.HasPrefix(path, "/") {
					path = "/" + path
				}
				u := url.URL{Scheme: scheme, Host: net.JoinHostPort(pod.PodIP, strconv.Itoa(port))}
				done[probe] = true
				out = append(out, Endpoint{Key: k, Probe: probe, URL: u.String() + path})
			}
		}
	}
	return out
}
