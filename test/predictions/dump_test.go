package predictions

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-reliability/kube-reliability-exporter/internal/audit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/capacity"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
)

// dump writes what `kubectl get nodes,pods,deployments,replicasets,
// statefulsets,daemonsets,poddisruptionbudgets,namespaces -A -o json`
// prints: one List whose items carry apiVersion and kind.
func dump(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	ctx := context.Background()
	all := metav1.ListOptions{}
	var items []runtime.RawExtension
	add := func(gv schema.GroupVersion, kind string, list any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		var l struct{ Items []map[string]any }
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatal(err)
		}
		for _, o := range l.Items {
			o["apiVersion"], o["kind"] = gv.String(), kind
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, runtime.RawExtension{Raw: b})
		}
	}
	core, apps, policy := schema.GroupVersion{Version: "v1"}, schema.GroupVersion{Group: "apps", Version: "v1"}, schema.GroupVersion{Group: "policy", Version: "v1"}
	nodes, err := client.CoreV1().Nodes().List(ctx, all)
	add(core, "Node", nodes, err)
	ns, err := client.CoreV1().Namespaces().List(ctx, all)
	add(core, "Namespace", ns, err)
	pods, err := client.CoreV1().Pods("").List(ctx, all)
	add(core, "Pod", pods, err)
	deps, err := client.AppsV1().Deployments("").List(ctx, all)
	add(apps, "Deployment", deps, err)
	rss, err := client.AppsV1().ReplicaSets("").List(ctx, all)
	add(apps, "ReplicaSet", rss, err)
	sts, err := client.AppsV1().StatefulSets("").List(ctx, all)
	add(apps, "StatefulSet", sts, err)
	dss, err := client.AppsV1().DaemonSets("").List(ctx, all)
	add(apps, "DaemonSet", dss, err)
	pdbs, err := client.PolicyV1().PodDisruptionBudgets("").List(ctx, all)
	add(policy, "PodDisruptionBudget", pdbs, err)
	pvcs, err := client.CoreV1().PersistentVolumeClaims("").List(ctx, all)
	add(core, "PersistentVolumeClaim", pvcs, err)
	pvs, err := client.CoreV1().PersistentVolumes().List(ctx, all)
	add(core, "PersistentVolume", pvs, err)
	b, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cluster.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// auditAgrees checks that audit, run on a dump of the cluster, names the
// same workloads with the same pods and reasons for the zone's loss as
// the live prediction: the simulation is the same from either source.
func auditAgrees(t *testing.T, client kubernetes.Interface, zone string, predicted capacity.Domain) error {
	rep := audit.Run([]string{dump(t, client)}, nil, healthcheck.Config{})
	if len(rep.Errors) > 0 {
		return fmt.Errorf("audit of the dump: %v", rep.Errors)
	}
	var got, want []string
	prefix := fmt.Sprintf("if zone %s were lost, ", zone)
	for _, f := range rep.Findings {
		if f.Rule == "capacity/zone-loss-unschedulable" && len(f.Message) > len(prefix) && f.Message[:len(prefix)] == prefix {
			got = append(got, f.Namespace+"/"+f.Kind+"/"+f.Name+": "+f.Message[len(prefix):])
		}
	}
	for _, s := range predicted.Stranded {
		want = append(want, fmt.Sprintf("%s: %d of its pods would find no node in the other zones (%s)", s.Workload, s.Pods, s.Reason))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("audit of the dump says %q, the live prediction %q", got, want)
	}
	return nil
}
