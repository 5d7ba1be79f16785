package scale

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// BenchmarkCacheBytesPerKind measures what one object of each kind the
// scale bench writes costs in central's informer cache: decoded from
// protobuf as the API server sends it (so no string is shared with
// another object by construction), trimmed by its kind's Trim
// (cluster.Transform), and held in a cache.Store under its key, as an
// informer holds it. It reports the live heap per object after a GC.
// `make bench` writes the figures to bench/cache-bytes.txt.
func BenchmarkCacheBytesPerKind(b *testing.B) {
	f := &filler{codec: protobuf.NewSerializer(scheme.Scheme, scheme.Scheme), now: metav1.NewTime(time.Now().Truncate(time.Second))}
	decoder := scheme.Codecs.UniversalDeserializer()
	const deployments = 2_000 // and as many ReplicaSets, 10 pods each
	var deps []*appsv1.Deployment
	var sets []*appsv1.ReplicaSet
	for d := range deployments {
		dep := f.deployment(d, nsName(d/100), fmt.Sprintf("app-%05d", d))
		deps = append(deps, dep)
		sets = append(sets, f.replicaSet(d, dep))
	}
	kinds := []struct {
		name string
		n    int
		obj  func(i int) kruntime.Object
	}{
		{"nodes", 1_000, func(i int) kruntime.Object { return f.node(i) }},
		{"deployments", deployments, func(i int) kruntime.Object { return deps[i] }},
		{"replicasets", deployments, func(i int) kruntime.Object { return sets[i] }},
		{"pods", deployments * replicasPerDeployment, func(i int) kruntime.Object {
			return f.pod(i, sets[i/replicasPerDeployment], nodeName(i/30))
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			wire := make([][]byte, k.n)
			for i := range k.n {
				data, err := kruntime.Encode(f.codec, k.obj(i))
				if err != nil {
					b.Fatal(err)
				}
				wire[i] = data
			}
			var perObject float64
			for b.Loop() {
				before := liveHeap()
				store := cache.NewStore(cache.DeletionHandlingMetaNamespaceKeyFunc)
				for _, data := range wire {
					obj, _, err := decoder.Decode(data, nil, nil)
					if err != nil {
						b.Fatal(err)
					}
					trimmed, err := cluster.Transform(obj)
					if err != nil {
						b.Fatal(err)
					}
					if err := store.Add(trimmed); err != nil {
						b.Fatal(err)
					}
				}
				perObject = float64(liveHeap()-before) / float64(k.n)
				runtime.KeepAlive(store)
			}
			b.ReportMetric(perObject, "bytes/object")
		})
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
