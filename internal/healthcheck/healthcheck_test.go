package healthcheck

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthresp"
)

func deploy(ns, name string, mutate func(*corev1.Container)) *appsv1.Deployment {
	c := corev1.Container{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	if mutate != nil {
		mutate(&c)
	}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("d-" + ns + "-" + name)},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}}}
}

func service(ns, name, app, ip string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": app}, ClusterIP: ip}}
}

func execProbe(cmd ...string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}}}
}

// TestNameForms: every way a health check can name a Service resolves,
// localhost is no dependency, unknown names are external.
func TestNameForms(t *testing.T) {
	t.Parallel()
	snap := &cluster.Snapshot{
		Deployments: cluster.Deployments(deploy("shop", "b", nil), deploy("data", "db", nil)),
		Services:    []*corev1.Service{service("shop", "svc-b", "b", "10.96.0.10"), service("data", "db", "db", "10.96.0.20")},
	}
	cases := map[string]*appsv1.Deployment{
		"svc":        deploy("shop", "w1", func(c *corev1.Container) { c.LivenessProbe = execProbe("pg_isready", "-h", "svc-b") }),
		"svc.ns":     deploy("shop", "w2", func(c *corev1.Container) { c.LivenessProbe = execProbe("sh", "-c", "nc -z db.data 5432") }),
		"svc.ns.svc": deploy("shop", "w3", func(c *corev1.Container) { c.LivenessProbe = execProbe("curl", "http://db.data.svc:5432/") }),
		"fqdn": deploy("shop", "w4", func(c *corev1.Container) {
			c.LivenessProbe = execProbe("curl", "-sf", "https://db.data.svc.cluster.local/health")
		}),
		"clusterIP host":  deploy("shop", "w5", func(c *corev1.Container) { c.LivenessProbe = httpHost("10.96.0.10") }),
		"httpGet.host":    deploy("shop", "w6", func(c *corev1.Container) { c.LivenessProbe = httpHost("svc-b.shop") }),
		"localhost":       deploy("shop", "w7", func(c *corev1.Container) { c.LivenessProbe = httpHost("localhost") }),
		"external host":   deploy("shop", "w8", func(c *corev1.Container) { c.LivenessProbe = httpHost("api.example.com") }),
		"unrelated words": deploy("shop", "w9", func(c *corev1.Container) { c.LivenessProbe = execProbe("cat", "/tmp/healthy", "ready") }),
	}
	want := map[string]struct {
		to       string
		external int
		liveDeps bool
	}{
		"svc": {"b", 0, true}, "svc.ns": {"db", 0, true}, "svc.ns.svc": {"db", 0, true}, "fqdn": {"db", 0, true},
		"clusterIP host": {"b", 0, true}, "httpGet.host": {"b", 0, true}, "localhost": {"", 0, false},
		"external host": {"", 1, true}, "unrelated words": {"", 0, false},
	}
	for _, d := range cases {
		snap.Deployments = append(snap.Deployments, cluster.DeploymentFrom(d))
	}
	r := Analyze(snap, Config{}, nil)
	by := map[string]Workload{}
	for _, w := range r.Workloads {
		by[w.Key.Name] = w
	}
	for name, d := range cases {
		w, exp := by[d.Name], want[name]
		got := ""
		if len(w.Edges) == 1 {
			got = w.Edges[0].To.Name
		}
		if got != exp.to || len(w.Edges) > 1 || w.External != exp.external || w.LivenessChecksDependencies != exp.liveDeps {
			t.Errorf("%s: edges %+v external %d liveness deps %v; want to %q external %d liveness deps %v",
				name, w.Edges, w.External, w.LivenessChecksDependencies, exp.to, exp.external, exp.liveDeps)
		}
		if len(w.Edges) == 1 && (w.Edges[0].Source != SourceProbeSpec || w.Edges[0].Probe != Liveness) {
			t.Errorf("%s: edge %+v", name, w.Edges[0])
		}
	}
}

func httpHost(host string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: host, Path: "/health", Port: intstr.FromInt(80)}}}
}

func TestProbeChecksAndEndpoints(t *testing.T) {
	t.Parallel()
	same := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}}
	d := deploy("shop", "a", func(c *corev1.Container) { c.LivenessProbe, c.ReadinessProbe = same, same.DeepCopy() })
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a-0", Namespace: "shop", Labels: map[string]string{"app": "a"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "a-1", UID: "rs-a", Controller: ptr(true)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.1.2.3", Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "a-1", Namespace: "shop", UID: "rs-a",
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: "a", UID: d.UID, Controller: ptr(true)}}}}
	snap := &cluster.Snapshot{Deployments: cluster.Deployments(d), ReplicaSets: []*appsv1.ReplicaSet{rs}, Pods: cluster.Pods(pod)}
	r := Analyze(snap, Config{LivenessRoutes: []string{"/health"}, ReadinessRoutes: []string{"/ping", "/healthz"}}, nil)
	c := r.Workloads[0].Containers[0]
	if !c.LivenessSameAsReadiness || c.StandardRoute[Liveness] || !c.StandardRoute[Readiness] || c.Present[Startup] {
		t.Errorf("container check %+v", c)
	}
	eps := Endpoints(snap)
	if len(eps) != 2 || eps[0].URL != "http://10.1.2.3:8080/healthz" {
		t.Fatalf("endpoints %+v", eps)
	}
	// The readiness response lists a dependency nobody knows: external.
	fetched := map[Endpoint]Fetched{eps[0]: {Response: healthresp.Response{Format: healthresp.FormatSpringBoot,
		Components: []healthresp.Component{{Name: "redis"}, {Name: "diskSpace", Internal: true}}}}}
	w := Analyze(snap, Config{}, fetched).Workloads[0]
	if w.External != 1 || w.Depth != 1 || w.Formats[eps[0].Probe] != healthresp.FormatSpringBoot {
		t.Errorf("with a response: %+v", w)
	}
}

func ptr[T any](v T) *T { return &v }

// A Service selects the workloads carrying all its labels, no others.
func TestServiceBackends(t *testing.T) {
	t.Parallel()
	labelled := func(name string, l map[string]string) *appsv1.Deployment {
		d := deploy("shop", name, nil)
		d.Spec.Template.Labels = l
		return d
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "a", "tier": "web"}}}
	caller := deploy("shop", "caller", func(c *corev1.Container) { c.ReadinessProbe = httpHost("web") })
	snap := &cluster.Snapshot{Services: []*corev1.Service{svc}, Deployments: cluster.Deployments(caller,
		labelled("both", map[string]string{"app": "a", "tier": "web", "extra": "x"}),
		labelled("app-only", map[string]string{"app": "a"}),
		labelled("tier-only", map[string]string{"tier": "web"}),
		labelled("other-ns", map[string]string{"app": "a", "tier": "web"}),
	)}
	snap.Deployments[4].Namespace = "elsewhere"
	for _, w := range Analyze(snap, Config{}, nil).Workloads {
		if w.Key.Name != "caller" {
			continue
		}
		if len(w.Edges) != 1 || w.Edges[0].To.Name != "both" {
			t.Errorf("edges %+v, want only to the workload with both labels in the namespace", w.Edges)
		}
	}
}

// withReadyPod gives d a ReplicaSet and one ready pod at ip.
func withReadyPod(snap *cluster.Snapshot, d *appsv1.Deployment, ip string) {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-1", Namespace: d.Namespace, UID: types.UID("rs-" + d.Name),
		OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: ptr(true)}}}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: d.Name + "-0", Namespace: d.Namespace, UID: types.UID("p-" + d.Name),
		Labels:          d.Spec.Template.Labels,
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr(true)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	snap.ReplicaSets = append(snap.ReplicaSets, rs)
	snap.Pods = append(snap.Pods, cluster.PodFrom(pod))
}

// Unknown is not "no dependencies": with a fetcher running, a workload
// whose health responses are not read yet, and every workload that
// reaches it, is incomplete; the others are final. Once read — or read
// before and failing now, the last good response kept — all are complete,
// and the stale response says when it was read.
func TestGraphCompletenessFollowsWhatIsKnown(t *testing.T) {
	t.Parallel()
	liveness := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromString("http")}}}
	a := deploy("shop", "a", nil)
	a.Annotations = map[string]string{DependsOnAnnotation: "b"}
	b := deploy("shop", "b", func(c *corev1.Container) { c.LivenessProbe = liveness })
	c := deploy("shop", "c", nil)
	c.Annotations = map[string]string{DependsOnAnnotation: "db.example.com"}
	snap := &cluster.Snapshot{Deployments: cluster.Deployments(a, b, c),
		Services: []*corev1.Service{service("shop", "b", "b", "10.96.0.2"), service("shop", "c", "c", "10.96.0.3")}}
	withReadyPod(snap, b, "127.0.0.2")
	complete := func(r Result) map[string]bool {
		out := map[string]bool{}
		for _, w := range r.Workloads {
			out[w.Key.Name] = w.Complete
		}
		return out
	}

	// Fetching off: the graph is what specs and annotations say, whole.
	if got := complete(Analyze(snap, Config{}, nil)); !got["a"] || !got["b"] || !got["c"] {
		t.Errorf("without fetching: %v, want all complete", got)
	}
	// Fetching, nothing read yet.
	r := Analyze(snap, Config{}, map[Endpoint]Fetched{})
	if got := complete(r); got["a"] || got["b"] || !got["c"] || r.EndpointsExpected != 1 || r.EndpointsKnown != 0 {
		t.Errorf("nothing read: complete %v, endpoints %d/%d; want a and b incomplete, c complete, 0/1", got, r.EndpointsKnown, r.EndpointsExpected)
	}
	// b's liveness was read a minute ago and fails now: its last response
	// (which calls c) still holds.
	readAt := time.Unix(1700000000, 0)
	ep := Endpoints(snap)[0]
	resp := healthresp.Response{Format: healthresp.FormatSpringBoot, Components: []healthresp.Component{{Name: "c"}}}
	r = Analyze(snap, Config{}, map[Endpoint]Fetched{ep: {Err: "timeout", Known: true, ReadAt: readAt, Response: resp}})
	if got := complete(r); !got["a"] || !got["b"] || !got["c"] || r.EndpointsKnown != 1 {
		t.Errorf("read before: complete %v, known %d", got, r.EndpointsKnown)
	}
	var wb Workload
	for _, w := range r.Workloads {
		if w.Key.Name == "b" {
			wb = w
		}
	}
	if !wb.Stale[Liveness].Equal(readAt) || wb.FetchErrors[Liveness] != "timeout" || len(wb.Edges) != 1 || wb.Edges[0].To.Name != "c" || wb.Depth != 2 {
		t.Errorf("b with its last good response: %+v", wb)
	}
}

// A probe on a named port the container does not declare, or an HTTP/TCP
// probe on a UDP-only port, fails in the kubelet every time. Bare pods'
// probes are checked like templates'.
func TestProbePortsAndBarePods(t *testing.T) {
	t.Parallel()
	httpOn := func(port intstr.IntOrString) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: port}}}
	}
	tcpOn := func(port intstr.IntOrString) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: port}}}
	}
	d := deploy("shop", "a", func(c *corev1.Container) {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP})
		c.LivenessProbe = httpOn(intstr.FromString("admin")) // not declared
		c.ReadinessProbe = tcpOn(intstr.FromInt32(53))       // UDP only
		c.StartupProbe = httpOn(intstr.FromString("http"))   // fine
	})
	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "tools"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "sh", LivenessProbe: tcpOn(intstr.FromString("ssh"))}}}}
	snap := &cluster.Snapshot{Deployments: cluster.Deployments(d), Pods: cluster.Pods(bare)}
	r := Analyze(snap, Config{}, nil)
	if len(r.Workloads) != 2 {
		t.Fatalf("workloads %+v, want the Deployment and the bare pod", r.Workloads)
	}
	if got, want := r.Workloads[0].Containers[0].PortInvalid, map[string]string{Liveness: PortUndeclared, Readiness: PortUDP}; !reflect.DeepEqual(got, want) {
		t.Errorf("deployment ports %v, want %v", got, want)
	}
	pod := r.Workloads[1]
	if pod.Key != (Key{"tools", cluster.KindPod, "debug"}) || pod.Containers[0].Present[Readiness] || pod.Containers[0].PortInvalid[Liveness] != PortUndeclared {
		t.Errorf("bare pod %+v", pod)
	}
}
