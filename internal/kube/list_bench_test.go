package kube

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// BenchmarkSnapshotList lists caches of 150,000 pods, 5,000 nodes and
// 15,000 Deployments and ReplicaSets into a snapshot: what every change
// of the cluster costs before the analyses run.
func BenchmarkSnapshotList(b *testing.B) {
	i := &Informers{stores: map[string]cache.Store{}}
	fill := func(resource string, n int, obj func(k int) any) {
		s := cache.NewStore(cache.MetaNamespaceKeyFunc)
		for k := range n {
			if err := s.Add(obj(k)); err != nil {
				b.Fatal(err)
			}
		}
		i.stores[resource] = s
	}
	fill("pods", 150_000, func(k int) any {
		return &cluster.Pod{Namespace: "ns", Name: fmt.Sprint("p", k)}
	})
	fill("nodes", 5_000, func(k int) any { return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("n", k)}} })
	fill("deployments", 15_000, func(k int) any {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprint("d", k)}}
	})
	fill("replicasets", 15_000, func(k int) any {
		return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprint("r", k)}}
	})
	b.ReportAllocs()
	for b.Loop() {
		s, err := i.list(nil)
		if err != nil || len(s.Pods) != 150_000 || len(s.Nodes) != 5_000 {
			b.Fatalf("listed %d pods, %d nodes: %v", len(s.Pods), len(s.Nodes), err)
		}
	}
}
