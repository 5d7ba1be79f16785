#!/usr/bin/env python3
"""Writes grafana/*.json, the dashboards (one per area: overview, placement,
etcd, ingress, health checks, certificates) and deploy/kustomize/base/dashboards.yaml, the
ConfigMap Grafana's sidecar loads (label grafana_dashboard). Run it after
editing; grafana/dashboards_test.go checks every query against the
metrics the exporter declares and against promtool."""
import json, os, re

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DS = {"type": "prometheus", "uid": "${datasource}"}

# Every metric's labels and help, from docs/metrics.md (generated from the
# collectors' specs): which queries take the namespace variable, and what
# a panel without its own description says.
LABELS, HELP, ALERTS = {}, {}, {}
for line in open(os.path.join(root, "docs", "metrics.md")):
    m = re.match(r"^\| `(kube_reliability_[a-z0-9_]+)` \| \w+ \| ([^|]*) \|[^|]*\|[^|]*\| (.*) \| ([^|]*) \|$", line)
    if m:
        LABELS[m.group(1)] = set(re.findall(r"`([a-z_]+)`", m.group(2)))
        HELP[m.group(1)] = m.group(3).replace("\\|", "|")
        # The alerts that read the metric, as the reference links them.
        ALERTS[m.group(1)] = re.findall(r"\[(KubeReliability\w+)\]", m.group(4))
RUNBOOKS = "https://github.com/kube-reliability/kube-reliability-exporter/blob/main/docs/runbooks.md#"

# A kube_reliability_ selector, not the middle of a recorded series'
# name (cluster:kube_reliability_...:max), which fleet panels scope by
# hand.
METRIC = re.compile(r"(?<![:\w])(kube_reliability_[a-z0-9_]+)(?![:\w])(\{[^}]*\})?")

def scoped(expr):
    """Adds the cluster (and, where the metric has the label, namespace)
    variables to every kube_reliability_ selector: one dashboard for many
    clusters. An absent cluster label matches (the variables' All is .*)."""
    def sub(m):
        name, sel = m.group(1), m.group(2)
        matchers = [sel[1:-1]] if sel and sel != "{}" else []
        matchers.append('cluster=~"$cluster"')
        if "namespace" in LABELS.get(name, ()):
            matchers.append('namespace=~"$namespace"')
        return name + "{" + ",".join(matchers) + "}"
    return METRIC.sub(sub, expr)

def unit_for(exprs, title):
    """The unit a panel's values are in, from its metric's name."""
    e = exprs[0]
    if "/ 86400" in e or "days left" in title.lower():
        return "d"
    names = METRIC.findall(e)
    n = names[0][0] if names else ""
    if n.endswith("_ratio") or ("/" in e and n.endswith("_bytes")):
        return "percentunit"
    if n.endswith("_seconds_total") and "rate(" in e:
        return "percentunit"
    if n.endswith("_timestamp_seconds"):
        return "dateTimeAsIso"
    if n.endswith("_seconds"):
        return "s"
    if n.endswith("_bytes"):
        return "bytes"
    if "rate(" in e:
        return "ops"
    return "none"

def describe(exprs):
    """What the panel shows (its metric's help) and where to act."""
    names = [n for n, _ in METRIC.findall(exprs[0])]
    what = HELP.get(names[0], "") if names else ""
    return (what + " What to do: the runbook of the alert on this signal (docs/runbooks.md).").strip()

def panel(title, exprs, kind="timeseries", unit=None, w=12, h=8, desc=None, legend=None, none_when_empty=False):
    targets = []
    exprs = exprs if isinstance(exprs, list) else [exprs]
    for i, e in enumerate(exprs):
        t = {"datasource": DS, "expr": scoped(e), "refId": chr(65 + i)}
        if kind == "table":
            t.update({"format": "table", "instant": True})
        if legend:
            t["legendFormat"] = legend
        targets.append(t)
    p = {"type": kind, "title": title, "datasource": DS, "targets": targets, "gridPos": {"w": w, "h": h},
         "description": desc or describe(exprs),
         "fieldConfig": {"defaults": {"unit": unit or unit_for(exprs, title)}, "overrides": []}}
    # Alert-backed panels link the runbooks of the alerts on their metrics.
    alerts = []
    for e in exprs:
        for n, _ in METRIC.findall(e):
            for a in ALERTS.get(n, []):
                if a not in alerts:
                    alerts.append(a)
    if alerts:
        p["links"] = [{"type": "link", "title": "Runbook: " + a, "url": RUNBOOKS + a.lower(), "targetBlank": True,
                       "icon": "doc", "tooltip": "What the alert on this panel's signal means and what to do",
                       "tags": [], "asDropdown": False, "includeVars": False, "keepTime": False} for a in alerts[:4]]
    if none_when_empty:
        # An empty result is the truth here (the analysis ran and found
        # nothing), not missing data: say none.
        p["fieldConfig"]["defaults"]["noValue"] = "none"
    return p

def envoy_panel(title, expr, desc, alert):
    """A panel on Envoy's own statistics (not the exporter's): scoped by
    hand, linked to the rule that reads the same series."""
    sel = '{cluster=~"$cluster",namespace=~"$namespace"}'
    p = panel(title, "kube_reliability_build_info", legend="{{namespace}}/{{pod}}", desc=desc + " What to do: the runbook of the alert on this signal (docs/runbooks.md).")
    p["targets"][0]["expr"] = expr.replace("%s", sel)
    p["fieldConfig"]["defaults"]["unit"] = "none"
    p["links"] = [{"type": "link", "title": "Runbook: " + alert, "url": RUNBOOKS + alert.lower(), "targetBlank": True,
                   "icon": "doc", "tooltip": "What the alert on this panel's signal means and what to do",
                   "tags": [], "asDropdown": False, "includeVars": False, "keepTime": False}]
    return p

def variable(name, label, query):
    """A multi-value query variable whose All matches every value, and the
    absence of the label (single-cluster setups have no cluster label)."""
    return {"name": name, "label": label, "type": "query", "datasource": DS, "refresh": 2, "sort": 1,
            "query": {"query": query, "refId": name}, "definition": query,
            "multi": True, "includeAll": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"}}

def dashboard(uid, title, desc, panels):
    x = y = 0
    for i, p in enumerate(panels):
        g = p["gridPos"]
        if x + g["w"] > 24:
            x, y = 0, y + 8
        g.update({"x": x, "y": y})
        x += g["w"]
        p["id"] = i + 1
    d = {"uid": uid, "title": title, "description": desc, "tags": ["kube-reliability"],
         "schemaVersion": 39, "version": 1, "editable": True, "time": {"from": "now-24h", "to": "now"},
         "refresh": "1m",
         "templating": {"list": [
             {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
             variable("cluster", "Cluster", "label_values(kube_reliability_build_info, cluster)"),
             variable("namespace", "Namespace", 'label_values(kube_reliability_namespace_score{cluster=~"$cluster"}, namespace)'),
         ]},
         # Every dashboard links to the others, carrying the variables.
         "links": [{"type": "dashboards", "tags": ["kube-reliability"], "title": "Kube reliability", "asDropdown": False,
                    "includeVars": True, "keepTime": True, "icon": "external link", "tooltip": "", "targetBlank": False, "url": ""}],
         "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
                                   "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
         "panels": panels}
    with open(os.path.join(root, "grafana", uid + ".json"), "w") as f:
        json.dump(d, f, indent=1, sort_keys=True)
        f.write("\n")
    return uid + ".json", d

boards = []
boards.append(dashboard("kre-overview", "Kube reliability: overview",
    "Will this cluster survive the next bad day? One number per failure mode of the field report; each links to its area.", [
    panel("Reliability score by cluster (compare)", "sort(max by (cluster) (kube_reliability_cluster_score))", "table", w=24, unit="none",
          desc="One row per cluster (the cluster label: an external label or remote-write label per Prometheus), lowest first; pick one in the cluster variable, then open an area's dashboard from the links above: they keep the selection."),
    panel("Reliability score (cluster)", "max(kube_reliability_cluster_score)", "stat", w=6,
          desc="0-100: 100 × W / (W + P), W the workloads, P the findings' weights (info 0.25, warning 1, critical 4); the same as audit's score line (docs/score.md)."),
    panel("Reliability score by namespace (trend)", "max by (namespace) (kube_reliability_namespace_score)", w=18, legend="{{namespace}}",
          desc="Each namespace's score over time: a step down is a change that added findings (a new workload without a PDB, a rollout that packed replicas)."),
    panel("Lowest-scoring namespaces now", "bottomk(10, max by (namespace) (kube_reliability_namespace_score))", "table",
          desc="The ten namespaces with the most findings per workload: where to start. audit on their manifests lists the findings one by one."),
    panel("Findings by rule (what lowers the score)", "sort_desc(max by (rule, severity) (kube_reliability_findings))", "table", none_when_empty=True,
          desc="How many findings of each rule the cluster has now, most first (docs/findings.md explains each). Accepted ones (ignore annotation, exemptions file) are not here: kube_reliability_findings_ignored counts them."),
    panel("Configuration debt by namespace and rule", "sort_desc(max by (namespace, rule) (kube_reliability_namespace_finding_objects) * on (namespace, rule) group_left (objects) max by (namespace, rule, objects) (kube_reliability_namespace_finding_examples_info))", "table", none_when_empty=True,
          desc="What the configuration-debt alerts fire on, once per namespace and rule: how many objects the rule reports there, and the first five (objects). Accepted findings are not counted. Every object: audit on the namespace's manifests, or the per-object series in the alert's objects_query annotation."),
    panel("Workloads on a single node", "count(kube_reliability_workload_single_node == 1) or vector(0)", "stat", w=6,
          desc="Workloads with two or more ready replicas, all on one node: that node's loss takes each down. The placement dashboard lists them."),
    panel("Workloads in a single zone", "count(kube_reliability_workload_single_zone == 1) or vector(0)", "stat", w=6,
          desc="Workloads whose ready replicas all run in one zone while others are eligible: a zone outage takes each down."),
    panel("Workloads without a PDB", "count(kube_reliability_workload_pdb_covered == 0) or vector(0)", "stat", w=6,
          desc="Workloads of two or more replicas that no PodDisruptionBudget protects: a node drain may evict all their pods at once."),
    panel("PDBs that block every drain", "count(kube_reliability_pdb_blocks_drain == 1) or vector(0)", "stat", w=6,
          desc="PodDisruptionBudgets that allow no disruption even with every pod healthy: every drain of their nodes hangs, and with it node upgrades."),
    panel("Health checks in a dependency cycle", "kube_reliability_health_workloads_in_cycles", "stat", w=6,
          desc="Workloads whose health checks depend, through others', on themselves: one failure fails every check in the cycle. Empty until the health collector has read the probes."),
    panel("Liveness probes checking dependencies", "count(kube_reliability_health_liveness_checks_dependencies == 1) or vector(0)", "stat", w=6,
          desc="Containers whose liveness probe fails when a dependency does: the kubelet restarts healthy pods during someone else's outage."),
    panel("etcd members down", "count(kube_reliability_etcd_member_up == 0) or vector(0)", "stat", w=6,
          desc="Configured etcd members the exporter cannot reach. 0 also where no etcd endpoint is configured: the etcd dashboard shows whether members are read at all."),
    panel("Connections dropped by nginx reloads (24h)", "sum(increase(kube_reliability_nginx_reload_dropped_connections_total[24h])) or vector(0)", "stat", w=6,
          desc="Client connections reset when a reloading nginx's old workers exited with them open, over the last day, measured by the agent on every node."),
    panel("Collectors failing", "count(kube_reliability_scrape_collector_success == 0) or vector(0)", "stat", w=12,
          desc="A failing collector exports nothing: its signals are unknown, not zero."),
    panel("Ingresses on a retired controller", "sum(kube_reliability_ingress_on_retired_controller) or vector(0)", "stat", w=12,
          desc="Ingresses whose class is served by a controller that gets no more fixes (ingress-nginx, retired in March 2026)."),
    panel("Served certificates by days left (soonest first)", "sort((min by (kind, namespace, name, host) (kube_reliability_certificate_expiry_timestamp_seconds) - time()) / 86400)", "table",
          desc="From TLS handshakes with each Ingress host at its status address, not from Secrets. Failing handshakes: kube_reliability_certificate_probe_error."),
    panel("Certificate problems", ["sum by (reason) (kube_reliability_certificate_probe_error)", "count(kube_reliability_certificate_covers_host == 0) or vector(0)", "count(kube_reliability_certificate_controller_default == 1) or vector(0)"], "stat",
          desc="Probe errors by reason, hosts served a certificate for another name, hosts served the controller's default certificate."),
]))
boards.append(dashboard("kre-placement", "Kube reliability: placement and disruption",
    "Replicas packed on one node or zone, PodDisruptionBudget gaps.", [
    panel("Most ready replicas on one node", "topk(20, kube_reliability_workload_node_max_ready_replicas)", "table",
          desc="The workloads with the most ready replicas on a single node: how many one node's loss takes at once."),
    panel("Node skew", "topk(20, kube_reliability_workload_node_skew)", "table",
          desc="Ready replicas on the fullest node minus those on the emptiest eligible one: what a maxSkew topology spread constraint would bound."),
    panel("Zone skew", "topk(20, kube_reliability_workload_zone_skew)", "table",
          desc="The same across zones: a high skew is a zone whose loss takes more than its share."),
    panel("Spread policy in use", "sum by (policy) (kube_reliability_workload_spread_policy)", "piechart",
          desc="Workloads by how their pod template spreads its replicas: topology spread constraints, required or preferred anti-affinity, or none (a workload using two counts in both)."),
    panel("Workloads without a PDB", "kube_reliability_workload_pdb_covered == 0", "table", none_when_empty=True,
          desc="Each workload of two or more replicas no PodDisruptionBudget protects."),
    panel("PDBs blocking drains", "kube_reliability_pdb_blocks_drain == 1", "table", none_when_empty=True,
          desc="Each PodDisruptionBudget that allows no disruption with every pod healthy (minAvailable equal to the replicas, maxUnavailable 0)."),
    panel("Schedulable nodes per zone", "kube_reliability_zone_schedulable_nodes", legend="{{zone}}",
          desc="Nodes per zone that are not cordoned, over time: a zone with few is one whose pods have nowhere to go after a node loss."),
    panel("Namespaces' containers without requests", "sum by (namespace, resource) (kube_reliability_namespace_containers_without_requests)", "table", none_when_empty=True,
          desc="Per namespace and resource, containers that request nothing and get no default from a LimitRange: the scheduler places them as if they needed nothing."),
]))
boards.append(dashboard("kre-etcd", "Kube reliability: etcd",
    "Members, versions, database size against quota, and the data disk's saturation.", [
    panel("Members up", "kube_reliability_etcd_member_up", legend="{{member}}"),
    panel("Database size / quota", "kube_reliability_etcd_member_db_size_bytes / kube_reliability_etcd_member_db_quota_bytes", unit="percentunit", legend="{{member}}"),
    panel("Database size in use", "kube_reliability_etcd_member_db_size_in_use_bytes", unit="bytes", legend="{{member}}"),
    panel("Version drift, below minimum", ["kube_reliability_etcd_version_drift", "kube_reliability_etcd_version_below_minimum"], "stat"),
    panel("Data disk busy (I/O time per second)", "rate(kube_reliability_etcd_disk_io_time_seconds_total[5m])", unit="percentunit", legend="{{node}} {{device}}"),
    panel("Data disk queue (weighted I/O time per second)", "rate(kube_reliability_etcd_disk_io_weighted_time_seconds_total[5m])", legend="{{node}} {{device}}"),
    panel("Certificate expiry", "kube_reliability_etcd_member_certificate_expiry_seconds", unit="s", legend="{{member}}"),
    panel("Known issues", "kube_reliability_etcd_known_issue == 1", "table"),
]))
boards.append(dashboard("kre-ingress", "Kube reliability: ingress and nginx reloads",
    "Controllers by class, and on every node: nginx reloads and the connections they really dropped.", [
    panel("Reloads per 10 minutes", "increase(kube_reliability_nginx_reloads_total[10m])", legend="{{node}} {{namespace}}/{{pod}} :{{listen}}"),
    panel("Connections dropped by reloads per 10 minutes", "increase(kube_reliability_nginx_reload_dropped_connections_total[10m])", legend="{{node}} {{namespace}}/{{pod}} :{{listen}}"),
    panel("Workers shutting down", "kube_reliability_nginx_workers_shutting_down", legend="{{node}} {{namespace}}/{{pod}} :{{listen}}"),
    panel("Client connections held by shutting-down workers", "kube_reliability_nginx_shutting_down_client_connections", legend="{{node}} {{namespace}}/{{pod}} :{{listen}}"),
    panel("nginx connections by state (stub_status)", "sum by (node, state) (kube_reliability_nginx_connections)", legend="{{node}} {{state}}"),
    panel("Agent /proc read errors", "sum by (node, reason) (rate(kube_reliability_nginx_proc_read_errors_total[5m]))", legend="{{node}} {{reason}}"),
    panel("Ingresses per class", "kube_reliability_ingressclass_ingresses", "table"),
    panel("Ingresses on a retired controller", "kube_reliability_ingress_on_retired_controller == 1", "table"),
    panel("Controller releases with known issues", "kube_reliability_ingress_controller_known_issue == 1", "table", w=24),
    envoy_panel("Envoy: connections closed while draining, per 10 minutes",
        "sum by (namespace, pod) (increase(envoy_http_downstream_cx_drain_close%s[10m]))",
        "Downstream connections an Envoy closed because their listener or filter chain was draining after a configuration change"
        " (Envoy's own envoy_http_downstream_cx_drain_close, as Envoy Gateway's proxies export it: Prometheus must scrape them)."
        " nginx-based controllers drop connections on reload instead (the panels above); Traefik keeps them.",
        "KubeReliabilityEnvoyDrainClosedConnections"),
    envoy_panel("Envoy: listeners and filter chains draining",
        "sum by (namespace, pod) (envoy_listener_manager_total_filter_chains_draining%s)"
        " + on (namespace, pod) sum by (namespace, pod) (envoy_listener_manager_total_listeners_draining%s)",
        "Listeners and filter chains an Envoy drains now: never 0 for long means configuration changes come faster than the drain timeout.",
        "KubeReliabilityEnvoyListenersDrainingLong"),
]))
boards.append(dashboard("kre-health", "Kube reliability: health checks",
    "Which health checks depend on which services: cycles, chains, liveness probes that restart healthy workloads.", [
    panel("Longest dependency chain", "kube_reliability_health_longest_dependency_chain", "stat", w=6),
    panel("Workloads in cycles", "kube_reliability_health_workloads_in_cycles", "stat", w=6),
    panel("Liveness same as readiness", "count(kube_reliability_workload_liveness_same_as_readiness == 1) or vector(0)", "stat", w=6),
    panel("Containers without a readiness probe", "count(kube_reliability_workload_probe_present{probe=\"readiness\"} == 0) or vector(0)", "stat", w=6),
    panel("Workloads in a cycle", "kube_reliability_health_dependency_in_cycle == 1", "table", none_when_empty=True,
          desc="Each workload whose health check reaches itself through others' checks."),
    panel("Deepest chains", "topk(20, kube_reliability_health_dependency_depth)", "table"),
    panel("Dependency edges", "kube_reliability_health_dependency_edge", "table", w=24),
    panel("Liveness probes checking dependencies", "kube_reliability_health_liveness_checks_dependencies == 1", "table", none_when_empty=True,
          desc="Each container whose liveness probe checks a dependency: move the check to readiness."),
    panel("Health endpoint read failures", "sum by (reason) (rate(kube_reliability_health_fetch_failures_total[15m]))", legend="{{reason}}"),
]))

boards.append(dashboard("kre-hypotheses", "Kube reliability: steady-state hypotheses",
    "The chaos engineer's questions answered before any experiment: which steady-state hypotheses hold now "
    "(built-in and RELIABILITY_HYPOTHESES_FILE's), since when they fail, and whether the file is valid. "
    "/hypotheses on the exporter gives each one's evidence.", [
    panel("Hypotheses failing", "count(kube_reliability_hypothesis_holds == 0) or vector(0)", "stat", w=8,
          desc="Hypotheses that do not hold now: each is an experiment whose outcome is already known. GET /hypotheses/<name> answers 503 with the evidence."),
    panel("Hypotheses holding", "count(kube_reliability_hypothesis_holds == 1) or vector(0)", "stat", w=8,
          desc="Hypotheses that hold now (200 on /hypotheses/<name>): the ones worth testing with a real experiment."),
    panel("Hypotheses file valid", "max(kube_reliability_hypotheses_file_valid)", "stat", w=8,
          desc="1 when RELIABILITY_HYPOTHESES_FILE as it is now validates; 0: a change to it is refused and the last valid version stays in force (the log names the line). No data: no file configured."),
    panel("Failing now", "kube_reliability_hypothesis_holds == 0", "table", w=24, none_when_empty=True,
          desc="Each hypothesis that does not hold. Its evidence (which workloads, which nodes) is on /hypotheses/<name>; the alert's runbook says what to do."),
    panel("Holds over time (1 holds, 0 fails)", "kube_reliability_hypothesis_holds", w=24, legend="{{hypothesis}}", unit="none",
          desc="Each hypothesis over time: when it started failing tells which change broke it (a rollout, a cordon, a new PDB)."),
]))

# The fleet: the recording rules of alerts/fleet.rules.yml, one row per
# cluster (the cluster label: external labels through remote write or
# federation, or target labels in one Prometheus).
def fleet(name):
    return name + '{cluster=~"$cluster"}'
boards.append(dashboard("kre-fleet", "Kube reliability: fleet",
    "Every cluster side by side, from the fleet recording rules (alerts/fleet.rules.yml): score, worst namespace, "
    "hypotheses failing, findings by severity. Pick a cluster, then open an area's dashboard: the links keep the selection.", [
    panel("Score by cluster (lowest first)", "sort(" + fleet("cluster:kube_reliability_cluster_score:max") + ")", "table", w=8, unit="none",
          desc="Each cluster's reliability score, 0-100 (docs/score.md): the cluster to look at first is at the top."),
    panel("Worst namespace's score by cluster", "sort(" + fleet("cluster:kube_reliability_namespace_score:min") + ")", "table", w=8, unit="none",
          desc="The lowest namespace score in each cluster: a good cluster score can hide one namespace that is not."),
    panel("Hypotheses failing by cluster", "sort_desc(" + fleet("cluster:kube_reliability_hypotheses_failing:sum") + ")", "table", w=8, unit="none",
          desc="Steady-state hypotheses that do not hold now, per cluster, out of cluster:kube_reliability_hypotheses:count: each is an experiment whose outcome is already known."),
    panel("Score by cluster (trend)", fleet("cluster:kube_reliability_cluster_score:max"), w=12, legend="{{cluster}}", unit="none",
          desc="Each cluster's score over time: a step down is a change that added findings there."),
    panel("Findings by cluster and severity", "sum by (cluster, severity) (" + fleet("cluster_severity:kube_reliability_findings:sum") + ")", w=12, legend="{{cluster}} {{severity}}", unit="none",
          desc="What lowers each cluster's score, by severity (accepted findings are not counted)."),
]))

CONTROL_PLANE = 'kind=~"ValidatingWebhookConfiguration|MutatingWebhookConfiguration|APIService|APIServer"'
DAYS_LEFT = "(min by (kind, namespace, name, host) (kube_reliability_certificate_expiry_timestamp_seconds) - time()) / 86400"
boards.append(dashboard("kre-certificates", "Kube reliability: certificates",
    "What every TLS endpoint really serves — Ingress and Gateway hosts, admission webhooks, aggregated APIs, the API server, etcd — "
    "from TLS handshakes, never Secrets; failing ones first, then by days left.", [
    panel("Handshakes failing", "count(kube_reliability_certificate_probe_error == 1) or vector(0)", "stat", w=4),
    panel("Expired", "count(" + DAYS_LEFT + " < 0) or vector(0)", "stat", w=4),
    panel("Expiring within 14 days", "count(" + DAYS_LEFT + " >= 0 < 14) or vector(0)", "stat", w=4),
    panel("Wrong host or default certificate", "count(kube_reliability_certificate_covers_host == 0) or vector(0)", "stat", w=4),
    panel("Renewed, not served", "count(kube_reliability_certificate_stale_after_renewal == 1) or vector(0)", "stat", w=4),
    panel("Control plane untrusted", "count(kube_reliability_certificate_verified{" + CONTROL_PLANE + "} == 0) or vector(0)", "stat", w=4,
          desc="Webhooks and APIServices whose served certificate their caBundle refuses; the API server against the cluster CA."),
    panel("Failing: what fails and why", [
        "kube_reliability_certificate_probe_error == 1",
        "kube_reliability_certificate_covers_host == 0",
        "kube_reliability_certificate_controller_default == 1",
        "kube_reliability_certificate_stale_after_renewal == 1",
        "kube_reliability_certificate_verified{" + CONTROL_PLANE + "} == 0",
        "kube_reliability_certmanager_certificate_ready == 0"], "table", w=24,
          desc="Every failing host, one row per problem (the metric name says which): handshakes that fail, names not covered, the controller's default, renewed but not reloaded, control-plane certificates their clients refuse, cert-manager Certificates not Ready."),
    panel("Served certificates by days left (soonest first)", "sort(" + DAYS_LEFT + ")", "table", w=24,
          desc="The leaf's not-after minus now, the soonest over each host's addresses; negative: expired."),
    panel("Soonest expiry per kind (days left)", "min by (kind) (kube_reliability_certificate_expiry_timestamp_seconds - time()) / 86400", legend="{{kind}}",
          desc="Ingress, Gateway, ValidatingWebhookConfiguration, MutatingWebhookConfiguration, APIService, APIServer."),
    panel("Soonest in the chain vs leaf (days left)", "sort((min by (kind, namespace, name, host) (kube_reliability_certificate_chain_expiry_timestamp_seconds) - time()) / 86400)", "table",
          desc="An intermediate that expires before the leaf breaks the chain as surely."),
    panel("etcd members' served certificates (days left)", "sort(kube_reliability_etcd_member_certificate_expiry_seconds / 86400)", "table"),
    panel("Webhook CA bundles (days left)", "sort((kube_reliability_webhook_ca_expiry_timestamp_seconds - time()) / 86400)", "table",
          desc="failure_policy Fail: once the bundle lapses every request the webhook matches is refused."),
    panel("APIService CA bundles (days left)", "sort((kube_reliability_apiservice_ca_expiry_timestamp_seconds - time()) / 86400)", "table"),
    panel("Issued by cert-manager vs served (days)", "(max by (kind, namespace, name, host) (kube_reliability_certificate_issued_expiry_timestamp_seconds) - min by (kind, namespace, name, host) (kube_reliability_certificate_expiry_timestamp_seconds)) / 86400 > 0", "table",
          desc="How much later the issued certificate expires than the one served: the server has not reloaded it."),
    panel("Hosts not probed, by reason", "kube_reliability_certificate_hosts_not_probed", "table"),
    panel("Handshake failures by reason", "sum by (reason) (rate(kube_reliability_certificate_probe_failures_total[30m]))", legend="{{reason}}"),
]))

# The ConfigMap Grafana's dashboard sidecar picks up.
with open(os.path.join(root, "deploy", "kustomize", "base", "dashboards.yaml"), "w") as f:
    f.write("# Generated by hack/gen-dashboards.py from grafana/*.json; do not edit.\n")
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "kube-reliability-dashboards", "namespace": "kube-reliability",
                       "labels": {"app.kubernetes.io/name": "kube-reliability-exporter", "grafana_dashboard": "1"}},
          "data": {name: json.dumps(d, sort_keys=True) for name, d in boards}}
    json.dump(cm, f, indent=1, sort_keys=True)  # JSON is YAML
    f.write("\n")
