package healthcheck

import (
	"cmp"
	"net"
	"net/url"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// services indexes Services by namespace/name and by cluster IP.
type services struct {
	byName map[string]*corev1.Service
	byIP   map[string]*corev1.Service
	// workloads behind each Service (by template labels).
	backends map[*corev1.Service][]int
	domain   string
}

func (s *services) lookup(ns, name string) *corev1.Service { return s.byName[ns+"/"+name] }

// resolve turns a name a health check uses (a host, a URL, "svc.ns",
// "ns/svc", an IP) into a Service, seen from namespace ns. ok is false for
// names that are not a Service: external dependencies. self reports names
// of the pod itself (localhost), which are no dependency at all.
func (s *services) resolve(ns, name string) (svc *corev1.Service, self bool) {
	name = strings.TrimSpace(strings.ToLower(name))
	if strings.Contains(name, "://") {
		if u, err := url.Parse(name); err == nil {
			name = u.Hostname()
		}
	} else if h, _, err := net.SplitHostPort(name); err == nil {
		name = h
	}
	name = strings.TrimSuffix(name, ".")
	switch name {
	case "", "localhost", "127.0.0.1", "::1", "0.0.0.0":
		return nil, true
	}
	if ip := net.ParseIP(name); ip != nil {
		return s.byIP[ip.String()], false
	}
	if n, svcName, ok := strings.Cut(name, "/"); ok {
		return s.lookup(n, svcName), false
	}
	name = strings.TrimSuffix(name, "."+s.domain)
	parts := strings.Split(name, ".")
	switch {
	case len(parts) == 1:
		return s.lookup(ns, parts[0]), false
	case len(parts) == 2:
		return s.lookup(parts[1], parts[0]), false
	case len(parts) == 3 && parts[2] == "svc":
		return s.lookup(parts[1], parts[0]), false
	}
	return nil, false
}

func indexServices(snap *cluster.Snapshot, ws []*cluster.Workload, cfg Config) *services {
	s := &services{byName: map[string]*corev1.Service{}, byIP: map[string]*corev1.Service{},
		backends: map[*corev1.Service][]int{}, domain: cmp.Or(cfg.ClusterDomain, "cluster.local")}
	// Workloads by namespace and template label: a Service selector only
	// looks at the workloads carrying one of its labels, not at the whole
	// namespace (20,000 workloads and Services: a few ms, not 100s).
	type nsLabel struct{ ns, key, value string }
	byLabel := map[nsLabel][]int{}
	for i, w := range ws {
		for k, v := range w.Template.Labels {
			byLabel[nsLabel{w.Meta.Namespace, k, v}] = append(byLabel[nsLabel{w.Meta.Namespace, k, v}], i)
		}
	}
	for _, svc := range snap.Services {
		s.byName[svc.Namespace+"/"+svc.Name] = svc
		for _, ip := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
			if parsed := net.ParseIP(ip); parsed != nil {
				s.byIP[parsed.String()] = svc
			}
		}
		if len(svc.Spec.Selector) == 0 {
			continue // no selector: endpoints managed by hand, or ExternalName
		}
		var candidates []int
		first := true
		for k, v := range svc.Spec.Selector {
			if c := byLabel[nsLabel{svc.Namespace, k, v}]; first || len(c) < len(candidates) {
				candidates, first = c, false
			}
		}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, i := range candidates {
			if sel.Matches(labels.Set(ws[i].Template.Labels)) {
				s.backends[svc] = append(s.backends[svc], i)
			}
		}
	}
	return s
}

// hostLike matches tokens of exec commands that may name a Service.
var hostLike = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$`)

// specNames returns the names a probe's own spec points at: an httpGet
// host, and in an exec command every URL's host and every word that
// names an existing Service (words that name nothing are not guessed at).
func specNames(p *corev1.Probe, svcs *services, ns string) []string {
	var out []string
	if h := p.HTTPGet; h != nil && h.Host != "" {
		out = append(out, h.Host)
	}
	if p.Exec != nil {
		for _, arg := range p.Exec.Command {
			for word := range strings.FieldsSeq(arg) {
				word = strings.Trim(word, `"'`)
				if strings.Contains(word, "://") {
					if u, err := url.Parse(word); err == nil && u.Host != "" {
						out = append(out, u.Host)
					}
					continue
				}
				if !hostLike.MatchString(strings.ToLower(word)) {
					continue
				}
				if svc, _ := svcs.resolve(ns, word); svc != nil {
					out = append(out, word)
				}
			}
		}
	}
	return out
}
