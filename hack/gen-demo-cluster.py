#!/usr/bin/env python3
"""Writes internal/demo/snapshot/cluster.yaml: the example cluster demo mode
serves and audit's example input, shaped like `kubectl get -A -o yaml`.

Each failure mode of the seed gets a workload here; later signals add theirs.
Run it after editing; the file is checked in and reviewed like code."""
import json, os

objs = []
zone = "topology.kubernetes.io/zone"

def node(name, z=None, cordoned=False, extra=None):
    labels = {"kubernetes.io/hostname": name}
    labels.update(extra or {})
    if z:
        labels[zone] = z
    objs.append({"apiVersion": "v1", "kind": "Node",
                 "metadata": {"name": name, "uid": "node-" + name, "labels": labels},
                 "spec": {"unschedulable": True} if cordoned else {},
                 "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                            # node-x1 was left behind four upgrades: past the skew policy.
                            "nodeInfo": {"kubeletVersion": "v1.33.4" if name == "node-x1" else "v1.37.2"},
                            "conditions": [{"type": "Ready", "status": "True"}]}})

# Workloads that declare their requests and limits; the others declare none.
RESOURCED = {"cart", "frontend", "ledger"}

def template(app, spread=None):
    c = {"name": app, "image": "registry.example/%s:1" % app}
    if app in RESOURCED:
        c["resources"] = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "256Mi"}}
    spec = {"containers": [c]}
    if app == "report-builder":
        # Two CPUs each, on SSD nodes only.
        c["resources"] = {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "4Gi"}}
        spec["nodeSelector"] = {"disktype": "ssd"}
    if app == "trainer":
        # On the TPU node only.
        spec["nodeSelector"] = {"accelerator": "tpu"}
    if app == "search":
        # Placed by a second, bin-packing scheduler: where its replicas
        # would go after a loss is that scheduler's call (unknown).
        spec["schedulerName"] = "bin-packer"
    if app == "ledger":
        # A schema-migration init container nobody gave requests to.
        spec["initContainers"] = [{"name": "migrate", "image": "registry.example/ledger-migrate:1"}]
    sel = {"matchLabels": {"app": app}}
    if spread == "required":
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": sel, "topologyKey": "kubernetes.io/hostname"}]}}
    elif spread == "preferred":
        spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {"labelSelector": sel, "topologyKey": "kubernetes.io/hostname"}}]}}
    elif spread == "topology":
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": zone,
                                              "whenUnsatisfiable": "DoNotSchedule", "labelSelector": sel}]
    return {"metadata": {"labels": {"app": app}}, "spec": spec}

def ref(kind, name, uid):
    return [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid,
             "controller": True, "blockOwnerDeletion": True}]

def pods(ns, prefix, owner_kind, owner, uid, app, nodes, unready=()):
    for i, n in enumerate(nodes):
        ready = "False" if i in unready else "True"
        objs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": "%s-%d" % (prefix, i), "namespace": ns, "uid": "pod-%s-%s-%d" % (ns, prefix, i),
                                  "labels": {"app": app}, "ownerReferences": ref(owner_kind, owner, uid)},
                     "spec": {"nodeName": n, "containers": [{"name": app, "image": "registry.example/%s:1" % app}]},
                     "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ready}]}})

def deployment(ns, name, replicas, nodes, spread=None, unready=(), annotations=None):
    uid, rs_uid, rs = "deploy-%s-%s" % (ns, name), "rs-%s-%s" % (ns, name), name + "-5d4f8c7b9"
    meta = {"name": name, "namespace": ns, "uid": uid}
    if annotations:
        meta["annotations"] = annotations
    objs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": meta,
                 "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template(name, spread)}})
    objs.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                 "metadata": {"name": rs, "namespace": ns, "uid": rs_uid, "ownerReferences": ref("Deployment", name, uid)},
                 "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template(name, spread)}})
    pods(ns, rs, "ReplicaSet", rs, rs_uid, name, nodes, unready)

def statefulset(ns, name, replicas, nodes, spread=None, claims=()):
    uid = "sts-%s-%s" % (ns, name)
    spec = {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
            "template": template(name, spread)}
    if claims:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": c}, "spec": {"accessModes": ["ReadWriteOnce"],
                                         "resources": {"requests": {"storage": "10Gi"}}}} for c in claims]
    objs.append({"apiVersion": "apps/v1", "kind": "StatefulSet",
                 "metadata": {"name": name, "namespace": ns, "uid": uid}, "spec": spec})
    pods(ns, name, "StatefulSet", name, uid, name, nodes)

def bare_replicaset(ns, name, replicas, nodes):
    uid = "rs-%s-%s" % (ns, name)
    objs.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                 "metadata": {"name": name, "namespace": ns, "uid": uid},
                 "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template(name)}})
    pods(ns, name, "ReplicaSet", name, uid, name, nodes)

# Three zones; one node cordoned for maintenance, one node never labelled.
node("node-a1", "eu-west-1a"); node("node-a2", "eu-west-1a")
# Zone b holds the only SSD nodes.
ssd = {"disktype": "ssd"}
node("node-b1", "eu-west-1b", extra=ssd); node("node-b2", "eu-west-1b", extra=dict(ssd, accelerator="tpu"))
node("node-c1", "eu-west-1c", cordoned=True)
node("node-x1")

# Seed: "some applications were hosted on the same node just because they
# were not demanding": 3 replicas, no spread policy, all on node-a1.
deployment("shop", "checkout", 3, ["node-a1", "node-a1", "node-a1"])
# Spread by a zone topology constraint: healthy.
deployment("shop", "cart", 3, ["node-a1", "node-b1", "node-b2"], spread="topology")
# Preferred anti-affinity keeps nodes apart but not zones: one zone.
# Search rebuilds its index on start and its team accepts evictions without
# a PDB: the annotation moves the finding to kube_reliability_findings_ignored.
deployment("shop", "search", 2, ["node-a1", "node-a2"], spread="preferred",
           annotations={"reliability.kube-reliability.io/ignore": "disruption/no-pdb"})
# One replica not ready: counts for desired, not for ready.
deployment("shop", "frontend", 3, ["node-a2", "node-b1", "node-x1"], spread="preferred", unready=(2,))
# Its autoscaler may take it down to one replica, and it is recreated (all
# pods stopped first) on every rollout while its Service sends it traffic.
for o in objs:
    if o["kind"] == "Deployment" and o["metadata"]["name"] == "frontend":
        o["spec"]["strategy"] = {"type": "Recreate"}
objs.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "frontend", "namespace": "shop", "uid": "hpa-shop-frontend"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "frontend"},
                      "minReplicas": 1, "maxReplicas": 6}})
objs.append({"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "frontend", "namespace": "shop", "uid": "svc-shop-frontend"},
             "spec": {"selector": {"app": "frontend"}, "ports": [{"port": 80, "targetPort": 8080}]}})
# Report builders pinned to SSD nodes, which all sit in zone b: spread over
# its two nodes, they survive a node's loss, but no node has room for a
# lost one's pod and nothing outside zone b may hold them (capacity).
deployment("analytics", "report-builder", 2, ["node-b1", "node-b2"], unready=(1,))
# Its second pod crash-loops under a PDB (below) with the default
# unhealthyPodEvictionPolicy: evictable while the budget holds, and a drain
# hangs on it as soon as the other one is down too.
for o in objs:
    if o["kind"] == "Pod" and o["metadata"]["name"] == "report-builder-5d4f8c7b9-1":
        o["status"]["containerStatuses"] = [{"name": "report-builder", "image": "registry.example/report-builder:1",
                                             "ready": False, "restartCount": 17,
                                             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]
# A stateful database with required anti-affinity: one per node.
# Its volumes (one claim per replica) are zonal disks: each replica can
# only run in its volume's zone, so losing zone a strands two of them.
statefulset("payments", "ledger", 3, ["node-a1", "node-b1", "node-a2"], spread="required", claims=["data"])
for i, z in enumerate(["eu-west-1a", "eu-west-1b", "eu-west-1a"]):
    claim, volume = "data-ledger-%d" % i, "pvc-ledger-%d" % i
    objs.append({"apiVersion": "v1", "kind": "PersistentVolume",
                 "metadata": {"name": volume, "labels": {zone: z}},
                 "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
                          "csi": {"driver": "disk.csi.example", "volumeHandle": volume},
                          "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "payments", "name": claim},
                          "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                              {"key": zone, "operator": "In", "values": [z]}]}]}}},
                 "status": {"phase": "Bound"}})
    objs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                 "metadata": {"name": claim, "namespace": "payments", "labels": {"app": "ledger"}},
                 "spec": {"accessModes": ["ReadWriteOnce"], "volumeName": volume,
                          "resources": {"requests": {"storage": "10Gi"}}},
                 "status": {"phase": "Bound"}})
# A bare ReplicaSet someone created by hand, both replicas on one node.
bare_replicaset("payments", "legacy-worker", 2, ["node-b2", "node-b2"])
# A DaemonSet's pods are not a placement problem: excluded.
for i, n in enumerate(["node-a1", "node-a2", "node-b1", "node-b2"]):
    objs.append({"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "node-agent-%d" % i, "namespace": "monitoring", "uid": "pod-agent-%d" % i,
                              "labels": {"app": "node-agent"},
                              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "node-agent",
                                                   "uid": "ds-node-agent", "controller": True}]},
                 "spec": {"nodeName": n, "containers": [{"name": "agent", "image": "registry.example/agent:1"}]},
                 "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})

# Two trainers on the one TPU node, a PDB allowing one down at a time: a
# drain of node-b2 evicts one, its replacement finds no TPU node, the budget
# never comes back and the drain stalls on the second.
deployment("analytics", "trainer", 2, ["node-b2", "node-b2"])

def pdb(ns, name, app, min_available=None, max_unavailable=None):
    spec = {"selector": {"matchLabels": {"app": app}}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    if max_unavailable is not None:
        spec["maxUnavailable"] = max_unavailable
    objs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                 "metadata": {"name": name, "namespace": ns, "uid": "pdb-%s-%s" % (ns, name)}, "spec": spec})

# Seed: "when someone needs to plan a disruption ... have a Pod Disruption
# Budget". checkout's PDB demands all 3 replicas: every drain hangs.
pdb("shop", "checkout", "checkout", min_available=3)
# cart's allows one pod down at a time: healthy.
pdb("shop", "cart", "cart", max_unavailable=1)
# ledger got a second PDB from another team: its pods cannot be evicted.
pdb("payments", "ledger", "ledger", min_available="50%")
pdb("analytics", "trainer", "trainer", max_unavailable=1)
pdb("payments", "ledger-team-b", "ledger", min_available=1)
# A leftover PDB for an app that no longer exists protects nothing.
pdb("shop", "recommendations", "recommendations", min_available=1)
# search's PDB requires no healthy pod: it allows every eviction, so search
# is as uncovered as frontend, which has no PDB at all.
pdb("shop", "search", "search", min_available=0)
# frontend's PDB wants one pod while its autoscaler may go down to one:
# drains are fine today and hang whenever it scales in.
pdb("shop", "frontend", "frontend", min_available=1)
pdb("analytics", "report-builder", "report-builder", min_available=1)

# Namespaces. kube-system is excluded from the requests/quota analysis by default.
# Their owners, as RELIABILITY_OWNER_LABELS (team, then owner) reads them:
# two teams share the shop, analytics names its owner by the second label,
# kube-system names none (its alerts take Alertmanager's default route).
owners = {"shop": {"team": "storefront"}, "orders": {"team": "storefront"}, "payments": {"team": "payments"},
          "analytics": {"owner": "data-science"}, "monitoring": {"team": "platform"}, "kube-system": {}}
for ns, labels in owners.items():
    meta = {"name": ns, "uid": "ns-" + ns}
    if labels:
        meta["labels"] = labels
    objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
# Seed: "it is recommended to set Resource quotas ... a Kubernetes manager can
# set default limits". payments has both, and its quota is 90% used; shop has
# neither, and its checkout and search containers set no requests.
objs.append({"apiVersion": "v1", "kind": "ResourceQuota",
             "metadata": {"name": "compute", "namespace": "payments", "uid": "rq-payments"},
             "spec": {"hard": {"pods": "10", "requests.cpu": "4", "requests.memory": "8Gi"}},
             "status": {"hard": {"pods": "10", "requests.cpu": "4", "requests.memory": "8Gi"},
                        "used": {"pods": "9", "requests.cpu": "3", "requests.memory": "2Gi"}}})
objs.append({"apiVersion": "v1", "kind": "LimitRange",
             "metadata": {"name": "defaults", "namespace": "payments", "uid": "lr-payments"},
             "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                                  "default": {"memory": "256Mi"}}]}})
# A bare debugging pod someone left running: a CPU limit (which defaults the
# request) and nothing for memory.
objs.append({"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "debug-shell", "namespace": "shop", "uid": "pod-debug-shell", "labels": {"run": "debug"}},
             "spec": {"nodeName": "node-b1", "containers": [{"name": "shell", "image": "registry.example/toolbox:1",
                                                             "resources": {"limits": {"cpu": "1"}}}]},
             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})

# Seed: "storing the history of all deployments is very expensive". Helm
# release storage, metadata only (the exporter never reads release data).
def helm3(ns, release, revisions):
    for v in range(1, revisions + 1):
        objs.append({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
                     "metadata": {"name": "sh.helm.release.v1.%s.v%d" % (release, v), "namespace": ns,
                                  "uid": "helm-%s-%s-%d" % (ns, release, v),
                                  "labels": {"owner": "helm", "name": release, "version": str(v),
                                             "status": "deployed" if v == revisions else "superseded"}}})
helm3("shop", "storefront", 12)   # above Helm's --history-max default of 10
helm3("payments", "ledger", 3)
for v in range(1, 26):            # a Helm 2 release nobody migrated
    objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "legacy-ingress.v%d" % v, "namespace": "kube-system", "uid": "tiller-%d" % v,
                              "labels": {"OWNER": "TILLER", "NAME": "legacy-ingress", "VERSION": str(v)}}})
# Someone's hand-made Secret borrowed the owner=helm label.
objs.append({"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "not-a-release", "namespace": "shop", "uid": "secret-not-a-release",
                          "labels": {"owner": "helm"}}})

# Ingress: "NginX is the de facto standard Ingress controller" - and
# ingress-nginx was retired in March 2026. Two shop Ingresses still sit on it;
# payments moved to Traefik (the default class); one Ingress names a class
# that no longer exists.
# Health checks that depend on other services (seed: "the Healthcheck should
# not report the health of dependent services"). Their pods' IPs are
# loopback addresses where demo itself answers the probes
# (internal/demo/health.go serves each response). api -> inventory ->
# pricing is a chain (api also checks an external payment API, and its
# liveness reports inventory's health); accounts <-> notifications is a
# cycle; reports redirects its health check elsewhere (never followed).
HEALTH_PORT = 18081
def probe(path):
    return {"httpGet": {"path": path, "port": HEALTH_PORT}, "periodSeconds": 10}
def health_workload(name, ip, readiness="/ping", liveness=None, annotations=None, startup_port=None):
    uid, rs_uid, rs = "deploy-orders-%s" % name, "rs-orders-%s" % name, name + "-6c9d7f5b8"
    t = template(name)
    c = t["spec"]["containers"][0]
    c["ports"] = [{"name": "http", "containerPort": HEALTH_PORT}]
    c["readinessProbe"] = probe(readiness)
    if liveness:
        c["livenessProbe"] = probe(liveness)
    if startup_port:
        c["startupProbe"] = {"httpGet": {"path": "/ping", "port": startup_port}, "periodSeconds": 10}
    meta = {"name": name, "namespace": "orders", "uid": uid}
    if annotations:
        meta["annotations"] = annotations
    objs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                 "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": t}})
    objs.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                 "metadata": {"name": rs, "namespace": "orders", "uid": rs_uid, "ownerReferences": ref("Deployment", name, uid)},
                 "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": t}})
    pods("orders", rs, "ReplicaSet", rs, rs_uid, name, ["node-b1"])
    objs[-1]["status"]["podIP"] = ip
    objs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": name, "namespace": "orders", "uid": "svc-orders-" + name},
                 "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": HEALTH_PORT}]}})
health_workload("api", "127.0.0.51", liveness="/health")
health_workload("inventory", "127.0.0.52", liveness="/health")
# Liveness and readiness on the same endpoint: a slow dependency restarts it.
health_workload("pricing", "127.0.0.53", liveness="/ping")
health_workload("accounts", "127.0.0.54")
# Its startup probe names a port the container does not declare ("admin"):
# the kubelet can never run it, so the container never starts.
health_workload("notifications", "127.0.0.55", startup_port="admin")
health_workload("reports", "127.0.0.56", annotations={"health.kube-reliability.io/depends-on": "inventory, warehouse.example.com"})

def ingress_class(name, controller, default=False):
    meta = {"name": name, "uid": "ic-" + name}
    if default:
        meta["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": meta,
                 "spec": {"controller": controller}})
def ingress(ns, name, cls=None, service="web"):
    spec = {"defaultBackend": {"service": {"name": service, "port": {"number": 80}}}}
    if cls:
        spec["ingressClassName"] = cls
    objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": name, "namespace": ns, "uid": "ing-%s-%s" % (ns, name)}, "spec": spec})
# The controllers themselves: ingress-nginx on a release below every 2026
# CVE floor (and retired), Traefik on a tag that names no patch version.
def controller(ns, name, image, nodes):
    deployment(ns, name, len(nodes), nodes, spread="preferred")
    for o in objs[-(len(nodes) + 2):]:
        spec = o["spec"]["template"]["spec"] if o["kind"] != "Pod" else o["spec"]
        spec["containers"][0]["image"] = image
controller("ingress-nginx", "ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller:v1.11.4", ["node-a1", "node-b1"])
controller("traefik", "traefik", "docker.io/library/traefik:v3.6", ["node-a2", "node-b2"])
ingress_class("nginx", "k8s.io/ingress-nginx")
ingress_class("traefik", "traefik.io/ingress-controller", default=True)
ingress("shop", "storefront", "nginx", "frontend")
ingress("shop", "checkout", "nginx", "checkout")
ingress("payments", "ledger-api", None, "ledger")
ingress("shop", "legacy-admin", "haproxy-old", "admin")
# The way forward: a GatewayClass served by NGINX Gateway Fabric, one
# Gateway and two HTTPRoutes already moved over.
objs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
             "metadata": {"name": "nginx-gateway", "uid": "gc-nginx"},
             "spec": {"controllerName": "gateway.nginx.org/nginx-gateway-controller"}})
# Its HTTPS listeners are served by demo itself on loopback
# (internal/demo/tls.go): shop is fine, cart expires in two days (renewed
# by cert-manager, not reloaded), search serves www's certificate, admin
# gets the controller's default. The legacy Gateway's address answers
# nothing: a failing probe.
TLS_IP, TLS_PORT = "127.0.0.61", 18443
def https(host, secret):
    return {"name": "https-" + host.split(".")[0], "hostname": host, "port": TLS_PORT, "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": secret}]}}
objs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
             "metadata": {"name": "public", "namespace": "shop", "uid": "gw-public"},
             "spec": {"gatewayClassName": "nginx-gateway",
                      "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"},
                                    https("shop.demo.example", "shop-tls"), https("cart.demo.example", "cart-tls"),
                                    https("search.demo.example", "search-tls"), https("admin.demo.example", "admin-tls")]},
             "status": {"addresses": [{"type": "IPAddress", "value": TLS_IP}]}})
objs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
             "metadata": {"name": "legacy", "namespace": "shop", "uid": "gw-legacy"},
             "spec": {"gatewayClassName": "nginx-gateway",
                      "listeners": [https("old.demo.example", "old-tls")]},
             "status": {"addresses": [{"type": "IPAddress", "value": "127.0.0.62"}]}})
for r in ["cart", "search"]:
    objs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                 "metadata": {"name": r, "namespace": "shop", "uid": "route-" + r},
                 "spec": {"parentRefs": [{"name": "public"}]}})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "internal", "demo", "snapshot", "cluster.json")
with open(out, "w") as f:
    json.dump({"apiVersion": "v1", "kind": "List", "items": objs}, f, indent=1, sort_keys=True)
    f.write("\n")
