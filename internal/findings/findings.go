package findings

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/certs"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/ingressclass"
	"github.com/kube-reliability/kube-reliability-exporter/internal/loss"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
	"github.com/kube-reliability/kube-reliability-exporter/internal/resources"
)

// Severity orders findings; audit fails on findings at or above a chosen one.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota + 1
	Warning
	Critical
	// Never is above every finding: audit reports but does not fail.
	Never
)

var severityNames = map[Severity]string{Info: "info", Warning: "warning", Critical: "critical", Never: "never"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity parses info, warning, critical or never.
func ParseSeverity(name string) (Severity, error) {
	for s, n := range severityNames {
		if n == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (info, warning, critical, never)", name)
}

// Finding is one problem found in the input.
type Finding struct {
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	File      string   `json:"file,omitempty"`
	Line      int      `json:"line,omitempty"`
	Message   string   `json:"message"`
	// Ignored says why the finding is accepted (an annotation or an
	// exemption, Ignores); such findings neither fail an audit nor weigh
	// in a score.
	Ignored string `json:"ignored,omitempty"`
}

// Placement returns the placement findings: workloads of two or more
// replicas without a spread policy (the scheduler may pack them on one
// node), and, where the input holds pods, workloads whose ready replicas
// all sit on one node or in one zone.
func Placement(res placement.Result) []Finding {
	var out []Finding
	for _, w := range res.Workloads {
		f := func(rule string, sev Severity, msg string) {
			out = append(out, Finding{Rule: rule, Severity: sev, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Message: msg})
		}
		if w.DesiredReplicas == 1 {
			f("placement/single-replica", Warning, "one replica: its node's loss, every rollout and every eviction take it down")
		}
		if w.DesiredReplicas >= 2 && w.Policies == 0 {
			f("placement/no-spread-policy", Warning, fmt.Sprintf(
				"%d replicas and no pod anti-affinity or topologySpreadConstraints selecting its own pods: the scheduler may put them all on one node", w.DesiredReplicas))
		}
		if w.SingleNode {
			f("placement/single-node", Warning, fmt.Sprintf("all %d ready replicas run on one node: one node failure takes the workload down", w.ReadyReplicas))
		}
		if w.SingleZone {
			f("placement/single-zone", Warning, fmt.Sprintf("all %d ready replicas run in one zone while %d zones are eligible", w.ReadyReplicas, w.EligibleZones))
		}
		if w.DesiredReplicas >= 2 && w.PinnedZone != "" {
			f("placement/pinned-to-one-zone", Warning, fmt.Sprintf("%d replicas that may only run in zone %s (nodeSelector or required node affinity): that zone's loss takes them all down", w.DesiredReplicas, w.PinnedZone))
		}
	}
	return out
}

// Disruption returns the PodDisruptionBudget findings: workloads of two or
// more replicas no PDB covers, PDBs that block every drain, pods two PDBs
// select (their evictions fail), PDBs that select nothing or do not parse.
func Disruption(res disruption.Result) []Finding {
	var out []Finding
	for _, w := range res.Workloads {
		f := func(rule string, sev Severity, msg string) {
			out = append(out, Finding{Rule: rule, Severity: sev, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Message: msg})
		}
		if w.Replicas >= 2 && !w.Covered {
			f("disruption/no-pdb", Warning, fmt.Sprintf("%d replicas and no PodDisruptionBudget: a node drain may evict them all at once", w.Replicas))
		}
		if w.PodsWithMultiplePDBs > 0 {
			f("disruption/multiple-pdbs", Warning, fmt.Sprintf("%d pods are selected by more than one PodDisruptionBudget: the eviction API refuses them and drains hang", w.PodsWithMultiplePDBs))
		}
	}
	for _, p := range res.PDBs {
		f := func(rule string, sev Severity, msg string) {
			out = append(out, Finding{Rule: rule, Severity: sev, Kind: "PodDisruptionBudget", Namespace: p.Namespace, Name: p.Name, Message: msg})
		}
		switch {
		case p.Invalid != "":
			f("disruption/pdb-invalid", Warning, "does not parse, so it protects nothing: "+p.Invalid)
		case p.SelectedPods == 0:
			f("disruption/pdb-selects-nothing", Info, "its selector matches no pod: it protects nothing")
		case p.ExpectedKnown && p.AllowsAll && p.ExpectedPods <= 1:
			// One pod: any budget either lets a drain evict it or blocks
			// every drain. The single replica is the problem (its own
			// finding), not the budget.
			f("disruption/pdb-allows-everything", Info, fmt.Sprintf("%s over %d expected pod requires no healthy pod, so a drain evicts the only replica; a budget cannot protect one replica without blocking every drain: run two", p.Bound, p.ExpectedPods))
		case p.ExpectedKnown && p.AllowsAll:
			f("disruption/pdb-allows-everything", Warning, fmt.Sprintf("%s over %d expected pods requires no healthy pod: it allows every eviction at once and protects nothing", p.Bound, p.ExpectedPods))
		case p.BlocksDrainAtAutoscalerMin && !p.BlocksDrain:
			f("disruption/pdb-vs-autoscaler", Warning, "minAvailable is at least the replicas its workloads keep at their HorizontalPodAutoscalers' minimum: every drain of their nodes hangs whenever they scale in")
		case p.BlocksDrain:
			f("disruption/pdb-blocks-drain", Warning, fmt.Sprintf("requires %d healthy of %d expected pods: it allows no disruption even when all are healthy, so every drain of their nodes hangs", p.DesiredHealthy, p.ExpectedPods))
		}
	}
	return out
}

// Autoscaling returns the findings about how workloads scale and roll out:
// an autoscaler that may go down to one replica, a replicas count fixed in
// the manifest of an autoscaled workload (every apply resets what the
// autoscaler chose), the Recreate strategy behind a Service.
func Autoscaling(snap *cluster.Snapshot, res loss.Result) []Finding {
	var out []Finding
	for _, r := range res.AutoscaledToOne {
		msg := fmt.Sprintf("its HorizontalPodAutoscaler %s has minReplicas %d: it may scale down to a single replica, which one node loss, rollout or eviction takes down", r.By.Name, r.By.Min)
		if r.By.Kind == cluster.KindScaledObject {
			msg = fmt.Sprintf("its ScaledObject %s has minReplicaCount %d: it may scale down to %s, which one node loss, rollout or eviction takes down", r.By.Name, r.By.Min,
				map[bool]string{true: "no replica at all while idle (the first request waits for a pod)", false: "a single replica"}[r.By.Min == 0])
		}
		out = append(out, Finding{Rule: "autoscaling/min-one", Severity: Warning, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Message: msg})
	}
	for _, r := range res.RecreateBehindService {
		out = append(out, Finding{Rule: "rollout/recreate-behind-service", Severity: Warning, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name,
			Message: "strategy Recreate behind a Service: every rollout stops all pods before starting new ones, an outage each time"})
	}
	static := map[[3]string]bool{}
	for _, d := range snap.Deployments {
		if d.Spec.Replicas != nil {
			static[[3]string{cluster.KindDeployment, d.Namespace, d.Name}] = true
		}
	}
	for _, st := range snap.StatefulSets {
		if st.Spec.Replicas != nil {
			static[[3]string{cluster.KindStatefulSet, st.Namespace, st.Name}] = true
		}
	}
	for _, h := range snap.HorizontalPodAutoscalers {
		ref := h.Spec.ScaleTargetRef
		if static[[3]string{ref.Kind, h.Namespace, ref.Name}] {
			out = append(out, Finding{Rule: "autoscaling/static-replicas", Severity: Warning, Kind: ref.Kind, Namespace: h.Namespace, Name: ref.Name,
				Message: fmt.Sprintf("sets spec.replicas while HorizontalPodAutoscaler %s scales it: every apply of this manifest resets the replicas the autoscaler chose", h.Name)})
		}
	}
	for _, so := range snap.ScaledObjects {
		if static[[3]string{so.TargetKind, so.Namespace, so.TargetName}] {
			out = append(out, Finding{Rule: "autoscaling/static-replicas", Severity: Warning, Kind: so.TargetKind, Namespace: so.Namespace, Name: so.TargetName,
				Message: fmt.Sprintf("sets spec.replicas while ScaledObject %s scales it: every apply of this manifest resets the replicas KEDA chose", so.Name)})
		}
	}
	return out
}

// QuotaAlmostFull is the usage ratio from which a quota is a finding, as
// the alert's threshold.
const QuotaAlmostFull = 0.9

// Resources returns the requests/limits and quota findings: containers
// without requests where no LimitRange supplies a default, namespaces
// without a ResourceQuota or LimitRange, quotas almost full.
func Resources(res resources.Result) []Finding {
	var out []Finding
	defaults := map[string]resources.Namespace{}
	for _, n := range res.Namespaces {
		defaults[n.Name] = n
		if n.ResourceQuotas == 0 {
			out = append(out, Finding{Rule: "resources/no-resourcequota", Severity: Info, Kind: "Namespace", Name: n.Name,
				Message: "no ResourceQuota: nothing caps what this namespace may consume"})
		}
		if n.LimitRanges == 0 {
			out = append(out, Finding{Rule: "resources/no-limitrange", Severity: Info, Kind: "Namespace", Name: n.Name,
				Message: "no LimitRange: containers get no default requests or limits"})
		}
	}
	// Named per workload and container, as the fix is made (the live
	// metrics count the same containers per namespace).
	for _, m := range res.Missing {
		d := defaults[m.Namespace]
		if len(m.WithoutRequest) > 0 && !d.DefaultRequest[m.Resource] {
			out = append(out, Finding{Rule: "resources/no-requests", Severity: Warning, Kind: m.Kind, Namespace: m.Namespace, Name: m.Name,
				Message: fmt.Sprintf("container(s) %s set no %s request and no LimitRange supplies one: the scheduler places them as if they needed none",
					strings.Join(m.WithoutRequest, ", "), m.Resource)})
		}
		// CPU limits are a choice (throttling); a missing memory limit lets
		// one container take the node's memory.
		if m.Resource == string(corev1.ResourceMemory) && len(m.WithoutLimit) > 0 && !d.DefaultLimit[m.Resource] {
			out = append(out, Finding{Rule: "resources/no-memory-limit", Severity: Warning, Kind: m.Kind, Namespace: m.Namespace, Name: m.Name,
				Message: fmt.Sprintf("container(s) %s set no memory limit and no LimitRange supplies one: one of them can use the node's memory until the kernel kills whatever it picks",
					strings.Join(m.WithoutLimit, ", "))})
		}
	}
	for _, q := range res.Quotas {
		if q.Used/q.Hard >= QuotaAlmostFull {
			out = append(out, Finding{Rule: "resources/quota-almost-full", Severity: Warning, Kind: "ResourceQuota", Namespace: q.Namespace, Name: q.Name,
				Message: fmt.Sprintf("%s at %.0f%% of its hard limit", q.Resource, 100*q.Used/q.Hard)})
		}
	}
	return out
}

// Ingresses returns Ingresses served by a retired controller.
func Ingresses(res ingressclass.Result) []Finding {
	var out []Finding
	for _, i := range res.Ingresses {
		if i.OnRetiredController {
			out = append(out, Finding{Rule: "ingress/retired-controller", Severity: Warning, Kind: "Ingress", Namespace: i.Namespace, Name: i.Name,
				Message: "served through IngressClass " + i.Class + " by a retired controller that gets no fixes"})
		}
	}
	return out
}

// Health returns the health-check findings that specs and annotations
// show: dependency cycles, liveness probes that target other services,
// containers without probes, liveness identical to readiness.
func Health(res healthcheck.Result) []Finding {
	var out []Finding
	for _, w := range res.Workloads {
		f := func(rule string, sev Severity, msg string) {
			out = append(out, Finding{Rule: rule, Severity: sev, Kind: w.Key.Kind, Namespace: w.Key.Namespace, Name: w.Key.Name, Message: msg})
		}
		if w.InCycle {
			var deps []string
			for _, e := range w.Edges {
				deps = append(deps, e.To.Namespace+"/"+e.To.Name+" ("+e.Source+")")
			}
			f("health/dependency-cycle", Warning, fmt.Sprintf("its health check depends, through other workloads', on itself (depends on %s): one failure fails the whole loop",
				strings.Join(deps, ", ")))
		}
		if w.LivenessChecksDependencies {
			f("health/liveness-checks-dependencies", Warning, "its liveness probe targets another service: when that fails, the kubelet restarts this workload")
		}
		for _, c := range w.Containers {
			for _, p := range []string{healthcheck.Liveness, healthcheck.Readiness} {
				if !c.Present[p] {
					f("health/no-"+p+"-probe", Info, fmt.Sprintf("container %s has no %s probe", c.Name, p))
				}
			}
			for _, p := range healthcheck.Probes {
				if why, ok := c.PortInvalid[p]; ok {
					f("health/probe-port-invalid", Critical, fmt.Sprintf("container %s's %s probe targets a port the kubelet cannot reach (%s): the probe fails every time", c.Name, p, why))
				}
			}
			if c.LivenessSameAsReadiness {
				f("health/liveness-same-as-readiness", Info, fmt.Sprintf("container %s checks the same endpoint for liveness and readiness: not being ready restarts it", c.Name))
			}
		}
	}
	return out
}

// CertificateHorizon is how soon an expiring CA bundle is a finding, as
// the certificate alerts' warning threshold.
const CertificateHorizon = 14 * 24 * time.Hour

// Certificates returns what the objects say of certificates without a
// handshake: webhooks whose CA bundle expires within CertificateHorizon or
// has expired (critical when their failurePolicy is Fail: every matching
// write is refused once calls fail), or does not parse, and Ingress TLS
// entries without hosts (served the controller's default certificate).
func Certificates(hooks []certs.Webhook, ingresses []*networkingv1.Ingress, now time.Time) []Finding {
	var out []Finding
	for _, w := range hooks {
		f := func(rule string, sev Severity, msg string) {
			out = append(out, Finding{Rule: rule, Severity: sev, Kind: w.Kind, Name: w.Configuration, Message: msg})
		}
		switch {
		case w.CAError != "" && !strings.Contains(w.CAError, certs.ErrEmptyBundle.Error()):
			f("certificates/webhook-ca-invalid", Warning, fmt.Sprintf("webhook %s: %s", w.Name, w.CAError))
		case w.CAError != "":
		case !w.CANotAfter.After(now):
			f("certificates/webhook-ca-expired", Critical, fmt.Sprintf("webhook %s: its caBundle expired on %s: every call to it fails%s",
				w.Name, w.CANotAfter.UTC().Format("2006-01-02"), failEffect(w)))
		case w.CANotAfter.Before(now.Add(CertificateHorizon)):
			sev := Warning
			if w.Fail() {
				sev = Critical
			}
			f("certificates/webhook-ca-expiring", sev, fmt.Sprintf("webhook %s: its caBundle expires on %s, within 14 days: then every call to it fails%s",
				w.Name, w.CANotAfter.UTC().Format("2006-01-02"), failEffect(w)))
		}
	}
	for _, ing := range ingresses {
		for _, tls := range ing.Spec.TLS {
			if len(tls.Hosts) == 0 {
				out = append(out, Finding{Rule: "ingress/tls-without-hosts", Severity: Info, Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name,
					Message: fmt.Sprintf("a TLS entry (secret %q) names no host: controllers serve their default certificate for it", tls.SecretName)})
			}
		}
	}
	return out
}

func failEffect(w certs.Webhook) string {
	if w.Fail() {
		return ", and with failurePolicy Fail every request it matches is refused"
	}
	return " (failurePolicy Ignore: requests pass unchecked)"
}

// Capacity returns the findings of the capacity simulation, run where the
// input holds Nodes (a cluster dump): workloads that the loss of a zone
// or the drain of a node (the worst maxDrainNodes) would leave with pods
// no node takes, and workloads whose fate in a zone loss cannot be known.
func Capacity(res capacity.Result) []Finding {
	const maxDrainNodes = 10
	var out []Finding
	add := func(rule string, sev Severity, list []capacity.Stranded, msg func(capacity.Stranded) string) {
		for _, s := range list {
			ns, rest, _ := strings.Cut(s.Workload, "/")
			kind, name, _ := strings.Cut(rest, "/")
			out = append(out, Finding{Rule: rule, Severity: sev, Kind: kind, Namespace: ns, Name: name, Message: msg(s)})
		}
	}
	for _, z := range res.Zones {
		add("capacity/zone-loss-unschedulable", Warning, z.Stranded, func(s capacity.Stranded) string {
			return fmt.Sprintf("if zone %s were lost, %d of its pods would find no node in the other zones (%s)", z.Name, s.Pods, s.Reason)
		})
		add("capacity/zone-loss-undecided", Info, z.Undecided, func(s capacity.Stranded) string {
			return fmt.Sprintf("if zone %s were lost, whether %d of its pods find a node cannot be known (%s)", z.Name, s.Pods, s.Reason)
		})
	}
	for i, n := range res.Drains {
		if i == maxDrainNodes {
			break
		}
		add("capacity/drain-unschedulable", Warning, n.Stranded, func(s capacity.Stranded) string {
			return fmt.Sprintf("draining node %s would leave %d of its pods Pending (%s)", n.Name, s.Pods, s.Reason)
		})
	}
	return out
}

// Objects reports what is wrong with an object itself, not with how its
// pods are placed or protected: a StatefulSet whose governing Service is
// not there, and pods no controller re-creates.
func Objects(s *cluster.Snapshot) []Finding {
	var out []Finding
	services := map[string]bool{}
	for _, svc := range s.Services {
		services[svc.Namespace+"/"+svc.Name] = true
	}
	for _, ss := range s.StatefulSets {
		if name := ss.Spec.ServiceName; name != "" && !services[ss.Namespace+"/"+name] {
			out = append(out, Finding{Rule: "workload/statefulset-service-missing", Severity: Warning, Kind: cluster.KindStatefulSet,
				Namespace: ss.Namespace, Name: ss.Name,
				Message: fmt.Sprintf("serviceName %q names no Service in %s: its pods get no stable DNS names (pod.%s), so peers cannot find each other", name, ss.Namespace, name)})
		}
	}
	for _, p := range s.Pods {
		if cluster.ControllerOf(p.OwnerReferences) != nil || p.Phase == corev1.PodSucceeded || p.Phase == corev1.PodFailed {
			continue
		}
		out = append(out, Finding{Rule: "workload/bare-pod", Severity: Warning, Kind: "Pod", Namespace: p.Namespace, Name: p.Name,
			Message: "no controller owns it: after its node's loss, an eviction or a drain nothing re-creates it. Run it under a Deployment, StatefulSet, DaemonSet or Job"})
	}
	return out
}
