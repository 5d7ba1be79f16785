package capacity

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/synthetic"
)

// BenchmarkAnalyze simulates every node's and zone's loss. The synthetic
// cluster is 75% full by CPU, so a zone's loss (a third of the pods onto
// the other two thirds of the nodes) cannot be absorbed: the worst case
// for the placement loop.
func BenchmarkAnalyze(b *testing.B) {
	bench(b, synthetic.Cluster)
}

// BenchmarkAnalyzeConstrained: the same with two workloads in five under
// zone spread or host anti-affinity, which the simulation checks pod by
// pod against the pods already placed.
func BenchmarkAnalyzeConstrained(b *testing.B) {
	bench(b, synthetic.Constrained)
}

// BenchmarkAnalyzeRoomy: nodes with room to spare and pods that may go
// anywhere, where every loss ends with all pods placed (the shape of
// bench/scale).
func BenchmarkAnalyzeRoomy(b *testing.B) {
	bench(b, synthetic.Roomy)
}

func bench(b *testing.B, build func(int) *cluster.Snapshot) {
	for _, pods := range []int{1_000, 10_000, 150_000} {
		s := build(pods)
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			b.ReportAllocs()
			var r Result
			for b.Loop() {
				r = Analyze(s)
			}
			if len(r.Zones) != 3 {
				b.Fatalf("%d zones", len(r.Zones))
			}
			unschedulable := 0
			for _, z := range r.Zones {
				unschedulable += z.Unschedulable
			}
			b.ReportMetric(float64(unschedulable), "zone-unschedulable")
			b.ReportMetric(float64(len(r.Nodes)), "nodes-not-absorbed")
		})
	}
}

// TestShortcutChangesNothing: the losses surelyPlaced skips end exactly
// as the full runs end them, on the synthetic clusters (most node losses
// shortcut, zone losses only where every pod may go anywhere).
func TestShortcutChangesNothing(t *testing.T) {
	for k, build := range []func(int) *cluster.Snapshot{synthetic.Cluster, synthetic.Constrained, synthetic.Roomy} {
		s := build(3_000)
		before := shortcuts.Load()
		fast := Analyze(s)
		taken := shortcuts.Load() - before
		switch {
		case k != 1 && taken == 0:
			t.Errorf("cluster %d: no loss took the shortcut: the comparison proves nothing", k)
		case k == 2 && taken != int64(2*len(s.Nodes)+3):
			// Every node's loss and drain, and the three zones'.
			t.Errorf("cluster %d: %d losses took the shortcut", k, taken)
		}
		noShortcut = true
		full := Analyze(s)
		noShortcut = false
		if !reflect.DeepEqual(fast, full) {
			t.Errorf("cluster %d with the shortcut:\n%+v\nwithout:\n%+v", k, fast, full)
		}
	}
}

// TestTallyCounts: a tally counts as a map would, across the move from
// sorted keys to a map.
func TestTallyCounts(t *testing.T) {
	for _, domains := range []int{3, 5_000} {
		tl, want := newTally(domains), map[int32]int{}
		for k := range 2_000 {
			d, n := int32((k*7919)%domains), k%5-2
			tl.add(d, n)
			want[d] += n
		}
		total := 0
		for d := range int32(domains) {
			if got := tl.get(d); got != want[d] {
				t.Fatalf("%d domains: domain %d counts %d, want %d", domains, d, got, want[d])
			}
			total += want[d]
		}
		if tl.sum() != total {
			t.Errorf("%d domains: sum %d, want %d", domains, tl.sum(), total)
		}
	}
	small := newTally(5_000)
	small.add(9, 1)
	small.add(3, 2)
	small.add(9, 1)
	if small.many != nil || !slices.Equal(small.keys, []int32{3, 9}) || small.get(9) != 2 || small.get(4) != 0 {
		t.Errorf("small sparse tally: keys %v vals %v", small.keys, small.vals)
	}
}
