package audit

import (
	"os"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
	"github.com/kube-reliability/kube-reliability-exporter/internal/findings"
	"github.com/kube-reliability/kube-reliability-exporter/internal/manifest"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
	"github.com/kube-reliability/kube-reliability-exporter/internal/resources"
)

// FuzzAnalyzeManifest feeds arbitrary manifests through decoding and
// placement analysis: odd objects (no labels, no owner, unknown owner
// kinds, pods on missing nodes, nodes without zones, broken selectors)
// must give a result, never a panic, and every count stays consistent.
func FuzzAnalyzeManifest(f *testing.F) {
	demo, err := os.ReadFile("../demo/snapshot/cluster.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demo)
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"}},
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","uid":"d"},"spec":{"template":{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"k","operator":"Bogus"}]}]}},"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"labelSelector":{"matchExpressions":[{"key":"app","operator":"Nope"}]}}]}}}}}},
{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"r","uid":"r","ownerReferences":[{"kind":"Deployment","uid":"d","controller":true}]}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","ownerReferences":[{"kind":"ReplicaSet","uid":"r","controller":true}]},"spec":{"nodeName":"gone"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q","ownerReferences":[{"kind":"Widget","uid":"w","controller":true}]},"spec":{"nodeName":"n"}}
]}`))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"p","namespace":"n"},"spec":{"minAvailable":"lots","selector":{}}},
{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"q","namespace":"n"},"spec":{"maxUnavailable":"250%"}},
{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"r","namespace":"n"},"status":{"hard":{"example.com/gpus":"0","pods":"1"},"used":{"pods":"5"}}},
{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"l","namespace":"n"},"spec":{"limits":[{"type":"Container"}]}}
]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := manifest.Decode("f", data)
		res := placement.Analyze(manifest.Snapshot(r.Objects))
		for _, w := range res.Workloads {
			if w.MaxReadyOnNode > w.ReadyReplicas || w.NodeSkew > w.ReadyReplicas || w.ZoneSkew > w.ReadyReplicas ||
				w.NodeSkew < 0 || w.ZoneSkew < 0 || (w.SingleNode && w.ReadyReplicas < 2) {
				t.Errorf("inconsistent verdict %+v", w)
			}
		}
		findings.Placement(res)
		snap := manifest.Snapshot(r.Objects)
		d := disruption.Analyze(snap)
		for _, p := range d.PDBs {
			if p.ExpectedKnown && (p.DesiredHealthy < 0 || p.ExpectedPods < 0 || (p.BlocksDrain && p.ExpectedPods == 0)) {
				t.Errorf("inconsistent PDB verdict %+v", p)
			}
		}
		findings.Disruption(d)
		findings.Resources(resources.Analyze(snap, resources.DefaultExcludedNamespaces))
	})
}
