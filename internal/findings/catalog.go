package findings

import "strings"

// Rule describes one finding id: what code scanning shows as the rule,
// and docs/findings.md's section.
type Rule struct {
	ID string
	// Title is one line; Help says why it matters and what to do.
	Title, Help string
}

// Catalog lists every rule audit and the live score can report, in
// docs/findings.md's order. A test keeps it complete.
var Catalog = []Rule{
	{"placement/single-replica", "One replica",
		"Its node's loss, every rollout and every eviction take the workload down. Run two or more replicas with a PodDisruptionBudget."},
	{"placement/no-spread-policy", "Replicas without a spread policy",
		"Two or more replicas and neither topologySpreadConstraints nor pod anti-affinity: the scheduler may pack them on one node. Add a topology spread constraint on kubernetes.io/hostname (and the zone)."},
	{"placement/single-node", "Every ready replica on one node",
		"One node failure takes the workload down. Add a spread constraint, then let the scheduler move replicas (a rollout)."},
	{"placement/single-zone", "Every ready replica in one zone",
		"A zone outage takes the workload down while other zones are eligible. Spread across topology.kubernetes.io/zone."},
	{"placement/pinned-to-one-zone", "Pinned to one zone",
		"A nodeSelector or required node affinity allows one zone only: its loss takes every replica. Allow more zones if the workload may run there."},
	{"disruption/no-pdb", "No PodDisruptionBudget",
		"Two or more replicas and no PDB: a node drain may evict them all at once. Add a PDB with maxUnavailable 1 (or minAvailable below the replicas)."},
	{"disruption/multiple-pdbs", "Pods under more than one PodDisruptionBudget",
		"The eviction API refuses such pods, so every drain of their nodes hangs. Keep one PDB per set of pods."},
	{"disruption/pdb-invalid", "PodDisruptionBudget does not parse",
		"It protects nothing. Fix minAvailable or maxUnavailable (an integer or a percentage)."},
	{"disruption/pdb-selects-nothing", "PodDisruptionBudget selects no pod",
		"It protects nothing: its selector matches no pod. Fix the selector or delete it."},
	{"disruption/pdb-allows-everything", "PodDisruptionBudget requires no healthy pod",
		"Neither bound, minAvailable 0, maxUnavailable 100%, or maxUnavailable at least the pods it expects: every pod may be evicted at once. Set a real budget. Over one replica this is info: no budget can protect a single pod without blocking every drain; run two replicas."},
	{"disruption/pdb-vs-autoscaler", "PodDisruptionBudget at the autoscaler's minimum",
		"minAvailable is at least the replicas the HorizontalPodAutoscaler keeps at its minimum: every drain hangs while load is low. Use maxUnavailable."},
	{"disruption/pdb-blocks-drain", "PodDisruptionBudget blocks every drain",
		"It allows no disruption even when every pod is healthy, so every node drain hangs on it. Lower minAvailable or use maxUnavailable 1."},
	{"autoscaling/min-one", "Autoscaler minimum of one replica",
		"The HorizontalPodAutoscaler or ScaledObject may scale to one replica (or zero), which one node loss, rollout or eviction takes down. Raise the minimum to two."},
	{"autoscaling/static-replicas", "spec.replicas set under an autoscaler",
		"Every apply of the manifest resets the replicas the autoscaler chose. Remove spec.replicas from the manifest."},
	{"rollout/recreate-behind-service", "Recreate strategy behind a Service",
		"Every rollout stops all replicas before starting new ones: the Service has no endpoint meanwhile. Use RollingUpdate unless the workload cannot run two versions. Not reported where Recreate is right: pods that mount a claim only one of them may write (ReadWriteOnce, ReadWriteOncePod, or a claim the input lacks), or a Service whose ports are all metrics ports."},
	{"resources/no-resourcequota", "Namespace without a ResourceQuota",
		"Nothing bounds what the namespace may request: one runaway deployment can starve the others. Add a quota."},
	{"resources/no-limitrange", "Namespace without a LimitRange",
		"Containers without requests or limits get none. Add a LimitRange with default requests and limits."},
	{"resources/no-requests", "Containers without requests",
		"The scheduler places them as if they needed nothing: nodes overcommit and they are the first evicted. Set CPU and memory requests."},
	{"resources/no-memory-limit", "Containers without a memory limit",
		"One of them can use the node's memory until the kernel kills whatever it picks. Set a memory limit."},
	{"resources/quota-almost-full", "ResourceQuota almost full",
		"At 90% of a hard limit, the next rollout's surge pods are refused. Raise the quota or reduce requests."},
	{"ingress/retired-controller", "Ingress on a retired controller",
		"Its IngressClass is served by a retired controller (ingress-nginx, retired in March 2026): no more fixes. Plan the move to a maintained controller or the Gateway API."},
	{"ingress/tls-without-hosts", "TLS entry without hosts",
		"Controllers serve their default certificate for it. Name the hosts the Secret's certificate covers."},
	{"health/dependency-cycle", "Health checks in a cycle",
		"A health check depends, through other workloads' checks, on itself: one failure fails every check in the cycle and nothing recovers on its own. Check dependencies in readiness only, never in a cycle."},
	{"health/liveness-checks-dependencies", "Liveness probe checks a dependency",
		"When the dependency fails, the kubelet restarts this healthy workload. Liveness checks the process only."},
	{"health/no-liveness-probe", "Container without a liveness probe",
		"A hung process is never restarted. Add a liveness probe on the process's own health."},
	{"health/no-readiness-probe", "Container without a readiness probe",
		"Traffic reaches the pod before it can serve, and after it stops. Add a readiness probe."},
	{"health/probe-port-invalid", "Probe on a port the kubelet cannot reach",
		"The probe fails every time: the container restarts forever or never becomes ready. Point it at a declared container port."},
	{"health/liveness-same-as-readiness", "Liveness and readiness check the same endpoint",
		"Not being ready restarts the container. Give liveness a cheaper, process-only check."},
	{"certificates/webhook-ca-invalid", "Webhook caBundle does not parse",
		"The API server cannot verify the webhook: every call fails, and with failurePolicy Fail every request it matches is refused. Fix the bundle."},
	{"certificates/webhook-ca-expired", "Webhook caBundle expired",
		"Every call to the webhook fails TLS verification. Renew the CA and update the bundle (cert-manager's cainjector does it)."},
	{"certificates/webhook-ca-expiring", "Webhook caBundle expiring within 14 days",
		"Then every call to the webhook fails. Renew the CA and update the bundle before it lapses."},
	{"workload/statefulset-service-missing", "StatefulSet without its governing Service",
		"spec.serviceName names a Service that does not exist: the pods get no stable DNS names, so clustered software (databases, brokers) cannot find its peers. Create the headless Service."},
	{"workload/bare-pod", "Pod without a controller",
		"No Deployment, StatefulSet, DaemonSet or Job owns it: after its node's loss, an eviction or a drain nothing re-creates it, and drains of its node need --force. Run it under a controller."},
	{"workload/replicationcontroller", "ReplicationController",
		"Superseded by Deployments: no declarative rolling update and no revision history, and the exporter does not analyse it. Move it to a Deployment."},
	{"input/duplicate-object", "One object in several places of the input",
		"The input holds the same object (kind, namespace, name) more than once: only one copy can be on the cluster, the last applied. Audit analyses the first and names every copy; identical copies are info, copies that differ a warning. Keep one source for each object."},
	{"api/removed-version", "API version removed from Kubernetes",
		"The manifest uses an apiVersion the API server no longer serves: applying it fails. Move to the version the removal notes name."},
}

// Anchor is a rule's section anchor in docs/findings.md
// (placement/single-node → placement-single-node).
func Anchor(id string) string { return strings.ReplaceAll(id, "/", "-") }

// RuleByID finds a rule of the catalog.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Catalog {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
