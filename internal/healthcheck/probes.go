package healthcheck

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func checkContainers(containers []corev1.Container, cfg Config) []Container {
	var out []Container
	for _, c := range containers {
		r := Container{Name: c.Name, Present: presence(c.LivenessProbe != nil, c.ReadinessProbe != nil, c.StartupProbe != nil)}
		r.LivenessSameAsReadiness = c.LivenessProbe != nil && c.ReadinessProbe != nil &&
			sameHandler(c.LivenessProbe.ProbeHandler, c.ReadinessProbe.ProbeHandler)
		for probe, p := range map[string]*corev1.Probe{Liveness: c.LivenessProbe, Readiness: c.ReadinessProbe, Startup: c.StartupProbe} {
			if why := invalidPort(p, c); why != "" {
				if r.PortInvalid == nil {
					r.PortInvalid = map[string]string{}
				}
				r.PortInvalid[probe] = why
			}
		}
		r.StandardRoute = standardRoutes(routeVerdict(c.LivenessProbe, cfg.LivenessRoutes), routeVerdict(c.ReadinessProbe, cfg.ReadinessRoutes))
		out = append(out, r)
	}
	return out
}

// The per-container maps of a result are shared between the containers
// with equal values (results are read-only): one map each per container
// was ~500 bytes for every workload of the cluster, at every analysis.
var (
	presenceMaps [8]map[string]bool
	routeMaps    [3][3]map[string]bool // by routeVerdict of liveness, readiness
)

func init() {
	for i := range presenceMaps {
		presenceMaps[i] = map[string]bool{Liveness: i&1 != 0, Readiness: i&2 != 0, Startup: i&4 != 0}
	}
	for l := range 3 {
		for r := range 3 {
			if l == noRoute && r == noRoute {
				continue // no HTTP probe: no map
			}
			m := map[string]bool{}
			if l != noRoute {
				m[Liveness] = l == standardRoute
			}
			if r != noRoute {
				m[Readiness] = r == standardRoute
			}
			routeMaps[l][r] = m
		}
	}
}

// presence is the Present map of a container with these probes.
func presence(liveness, readiness, startup bool) map[string]bool {
	i := 0
	for bit, set := range []bool{liveness, readiness, startup} {
		if set {
			i |= 1 << bit
		}
	}
	return presenceMaps[i]
}

// Route verdicts of one probe.
const (
	noRoute       = iota // not an HTTP probe
	otherRoute           // an HTTP probe on a path not in the list
	standardRoute        // an HTTP probe on a listed path
)

func routeVerdict(p *corev1.Probe, routes []string) int {
	switch {
	case p == nil || p.HTTPGet == nil:
		return noRoute
	case slices.Contains(routes, cleanPath(p.HTTPGet.Path)):
		return standardRoute
	}
	return otherRoute
}

// standardRoutes is the StandardRoute map for these verdicts; nil when
// neither probe is HTTP.
func standardRoutes(liveness, readiness int) map[string]bool {
	return routeMaps[liveness][readiness]
}

func cleanPath(p string) string {
	p, _, _ = strings.Cut(p, "?")
	if p == "" {
		return "/"
	}
	return p
}

// sameHandler compares what two probes check (not their timings).
func sameHandler(a, b corev1.ProbeHandler) bool {
	switch {
	case a.HTTPGet != nil && b.HTTPGet != nil:
		return a.HTTPGet.Path == b.HTTPGet.Path && a.HTTPGet.Port == b.HTTPGet.Port &&
			a.HTTPGet.Host == b.HTTPGet.Host && a.HTTPGet.Scheme == b.HTTPGet.Scheme
	case a.TCPSocket != nil && b.TCPSocket != nil:
		return a.TCPSocket.Port == b.TCPSocket.Port && a.TCPSocket.Host == b.TCPSocket.Host
	case a.Exec != nil && b.Exec != nil:
		return slices.Equal(a.Exec.Command, b.Exec.Command)
	case a.GRPC != nil && b.GRPC != nil:
		return a.GRPC.Port == b.GRPC.Port && a.GRPC.Service == b.GRPC.Service
	}
	return false
}

// invalidPort says why the kubelet can never reach an HTTP or TCP probe's
// port, or "" when it can (or it is another kind of probe). A numeric port
// the container does not list is fine: ports lists are informational.
func invalidPort(p *corev1.Probe, c corev1.Container) string {
	var port intstr.IntOrString
	switch {
	case p == nil:
		return ""
	case p.HTTPGet != nil:
		port = p.HTTPGet.Port
	case p.TCPSocket != nil:
		port = p.TCPSocket.Port
	default:
		return ""
	}
	tcp, udp := false, false
	for _, cp := range c.Ports {
		if (port.Type == intstr.String && cp.Name == port.StrVal) || (port.Type == intstr.Int && cp.ContainerPort == port.IntVal) {
			if cp.Protocol == corev1.ProtocolUDP {
				udp = true
			} else {
				tcp = true // TCP is the default protocol
			}
		}
	}
	switch {
	case port.Type == intstr.String && !tcp && !udp:
		return PortUndeclared
	case udp && !tcp:
		return PortUDP
	}
	return ""
}

func probePort(p intstr.IntOrString, c corev1.Container) (int, bool) {
	if p.Type == intstr.Int {
		return p.IntValue(), p.IntValue() > 0 && p.IntValue() < 65536
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), true
		}
	}
	return 0, false
}
