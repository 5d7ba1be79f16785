package collector

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testheap"
)

// alternatingSource hands out one of two snapshots, the other one after
// every change: each scrape analyses a cluster that differs from the last.
type alternatingSource struct {
	a, b *cluster.Snapshot
	gen  uint64
}

func (s *alternatingSource) Snapshot() (*cluster.Snapshot, error) {
	if s.gen%2 == 0 {
		return s.a, nil
	}
	return s.b, nil
}
func (s *alternatingSource) Generation() uint64 { return s.gen }

// TestHeapStableOverAThousandCycles (issue 16): every central collector
// that reads only the cluster, on a 3,000-pod cluster that changes
// before every scrape (so every scrape analyses it again, encodes every
// family and, every other scrape, gzips them), for 1,000 cycles. The
// heap left after the warm-up must not grow: nothing may accumulate per
// analysis, per scrape, per generation.
func TestHeapStableOverAThousandCycles(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand analyses")
	}
	var specs []*Spec
	for _, s := range All {
		if s.Modes&Central != 0 && len(s.Uses) == 0 {
			specs = append(specs, s)
		}
	}
	src := &alternatingSource{a: syntheticSnapshot(3000), b: syntheticSnapshot(2970)}
	s, err := NewSet(specs, Deps{Logger: discard(), Cluster: src, Status: staticStatus{}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	const cycles, warmUp = 1000, 100
	var buf bytes.Buffer
	var heaps []uint64
	var families int
	for i := range cycles {
		src.gen++
		buf.Reset()
		if err := s.Expose(&buf, i%2 == 1); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			families = bytes.Count(buf.Bytes(), []byte("# TYPE "))
		}
		if i+1 == warmUp || (i+1)%300 == 0 || i+1 == cycles {
			// Between cycles nothing runs: collect first, so the figure is
			// what is retained, not what the last GC cycle happened to
			// catch of an analysis in flight (the capacity simulation's
			// working set, ~1.2 MiB here, made it swing by that much).
			runtime.GC()
			heaps = append(heaps, testheap.Live())
		}
	}
	if families < 20 {
		t.Fatalf("%d families exposed: the collectors did not run (%d specs)", families, len(specs))
	}
	// The snapshots themselves and one cached result per collector are
	// the floor; a leak of even 1 KiB per cycle would add 900 KiB.
	if growth := int64(heaps[len(heaps)-1]) - int64(heaps[0]); growth > 256<<10 {
		t.Errorf("live heap after cycles %d, 300, 600, 900, %d: %v KiB; grew %d KiB", warmUp, cycles, kibs(heaps), growth>>10)
	}
	t.Logf("%d collectors, %d families, %d cycles (analysis + exposition each): live heap after cycles %d, 300, 600, 900, %d: %v KiB",
		len(specs), families, cycles, warmUp, cycles, kibs(heaps))
}

func kibs(v []uint64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = x >> 10
	}
	return out
}

// staticStatus reports every core resource synced and freshly watched.
type staticStatus struct{}

func (staticStatus) Status() []cluster.ResourceStatus {
	var out []cluster.ResourceStatus
	for _, r := range []string{"nodes", "pods", "deployments", "replicasets", "statefulsets", "daemonsets"} {
		out = append(out, cluster.ResourceStatus{Source: "kubernetes", Resource: r, Synced: true, LastSuccess: time.Now()})
	}
	return out
}
