package healthgraph

import (
	"math/rand/v2"
	"testing"
)

func TestChainCycleSelfExternal(t *testing.T) {
	t.Parallel()
	// 0 → 1 → 2; 3 ⇄ 4 → 2; 5 → 5; 6 → external; 7 → 6; 8 alone.
	g := New(9)
	g.AddEdge(0, 1)
	g.AddEdge(1, 2)
	g.AddEdge(3, 4)
	g.AddEdge(4, 3)
	g.AddEdge(4, 2)
	g.AddEdge(5, 5)
	g.AddExternal(6)
	g.AddEdge(7, 6)
	g.AddEdge(0, 1) // duplicate
	r := Analyze(g)
	wantDepth := []int{2, 1, 0, 1, 1, 0, 1, 2, 0}
	wantCycle := []bool{false, false, false, true, true, true, false, false, false}
	for i := range wantDepth {
		if r.Depth[i] != wantDepth[i] || r.InCycle[i] != wantCycle[i] {
			t.Errorf("node %d: depth %d cycle %v, want %d %v", i, r.Depth[i], r.InCycle[i], wantDepth[i], wantCycle[i])
		}
	}
	if r.Longest != 2 || r.InCycles != 3 {
		t.Errorf("longest %d, in cycles %d; want 2, 3", r.Longest, r.InCycles)
	}
	if r.Component[3] != r.Component[4] || r.Component[0] == r.Component[1] {
		t.Errorf("components %v", r.Component)
	}
}

// TestAgainstBruteForce compares with the definitions on random graphs:
// u and v share a component iff each reaches the other; a node's depth is
// the longest path over distinct components (+1 for an external hop).
func TestAgainstBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := 1 + rng.IntN(12)
		g := New(n)
		for range rng.IntN(3 * n) {
			g.AddEdge(rng.IntN(n), rng.IntN(n))
		}
		for i := range n {
			if rng.IntN(5) == 0 {
				g.AddExternal(i)
			}
		}
		r := Analyze(g)
		reach := make([][]bool, n)
		for u := range n {
			reach[u] = make([]bool, n)
			var visit func(int)
			visit = func(v int) {
				for _, w := range g.adj[v] {
					if !reach[u][w] {
						reach[u][w] = true
						visit(int(w))
					}
				}
			}
			visit(u)
		}
		same := func(u, v int) bool { return u == v || reach[u][v] && reach[v][u] }
		memo := map[int]int{}
		var depth func(int) int
		depth = func(u int) int {
			if d, ok := memo[u]; ok {
				return d
			}
			d := 0
			for v := range n {
				if !same(u, v) {
					continue
				}
				if g.external[v] {
					d = max(d, 1)
				}
				for _, w := range g.adj[v] {
					if !same(u, int(w)) {
						d = max(d, depth(int(w))+1)
					}
				}
			}
			memo[u] = d
			return d
		}
		for u := range n {
			cycle := reach[u][u]
			if r.InCycle[u] != cycle {
				t.Fatalf("n=%d node %d: in cycle %v, want %v (edges %v)", n, u, r.InCycle[u], cycle, g.adj)
			}
			if r.Depth[u] != depth(u) {
				t.Fatalf("n=%d node %d: depth %d, want %d (edges %v, external %v)", n, u, r.Depth[u], depth(u), g.adj, g.external)
			}
			for v := range n {
				if (r.Component[u] == r.Component[v]) != same(u, v) {
					t.Fatalf("nodes %d, %d: components %d %d", u, v, r.Component[u], r.Component[v])
				}
			}
		}
	}
}

// A chain of 100,000: the iterative walk needs no deep stack.
func TestLongChain(t *testing.T) {
	t.Parallel()
	const n = 100_000
	g := New(n)
	for i := range n - 1 {
		g.AddEdge(i, i+1)
	}
	if r := Analyze(g); r.Depth[0] != n-1 || r.Longest != n-1 || r.InCycles != 0 {
		t.Errorf("depth %d longest %d cycles %d", r.Depth[0], r.Longest, r.InCycles)
	}
	g.AddEdge(n-1, 0)
	if r := Analyze(g); r.Depth[0] != 0 || r.InCycles != n {
		t.Errorf("ring: depth %d cycles %d", r.Depth[0], r.InCycles)
	}
}

// BenchmarkAnalyze20k: 20,000 workloads, 3 dependencies each on average,
// a few cycles.
func BenchmarkAnalyze20k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 20_000
	g := New(n)
	for i := range n {
		for range rng.IntN(7) {
			// Mostly "downward" edges (services call deeper tiers), some back.
			j := i + 1 + rng.IntN(50)
			if rng.IntN(100) == 0 {
				j = rng.IntN(n)
			}
			if j < n {
				g.AddEdge(i, j)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		Analyze(g)
	}
}
