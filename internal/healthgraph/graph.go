package healthgraph

// Graph is a directed graph over nodes 0..n-1; an edge u→v means u's
// health check depends on v.
type Graph struct {
	adj [][]int32
	// external marks nodes that also depend on something outside the
	// graph (an unknown name: a database, a third-party API). It adds one
	// hop to their chain.
	external []bool
}

// New returns a graph of n nodes without edges.
func New(n int) *Graph {
	return &Graph{adj: make([][]int32, n), external: make([]bool, n)}
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.adj) }

// AddEdge records that from depends on to. Duplicates are harmless.
func (g *Graph) AddEdge(from, to int) { g.adj[from] = append(g.adj[from], int32(to)) }

// AddExternal records that n depends on something outside the graph.
func (g *Graph) AddExternal(n int) { g.external[n] = true }

// Result is the analysis of a graph.
type Result struct {
	// Component numbers each node's strongly connected component.
	Component []int32
	// InCycle: the node's component has several nodes, or the node
	// depends on itself.
	InCycle []bool
	// Depth is the longest chain of dependencies from the node, in hops,
	// counting a cycle as one node (its members share a depth) and an
	// external dependency as one hop.
	Depth []int
	// Longest is the largest Depth; InCycles counts nodes in cycles.
	Longest, InCycles int
}

// Analyze finds the components (Tarjan's algorithm, iterative: a chain of
// 20,000 would overflow no stack) and the depths. Tarjan emits components
// in reverse topological order, so each component's depth is final when
// the components it depends on have been emitted: one pass.
func Analyze(g *Graph) Result {
	n := g.Len()
	t := &tarjan{g: g, index: make([]int32, n), low: make([]int32, n), onStack: make([]bool, n),
		r: Result{Component: make([]int32, n), InCycle: make([]bool, n), Depth: make([]int, n)}}
	for i := range t.index {
		t.index[i] = unvisited
	}
	type frame struct {
		node int32
		next int // next edge of node to look at
	}
	var calls []frame // the explicit call stack
	for root := range n {
		if t.index[root] != unvisited {
			continue
		}
		t.visit(int32(root))
		calls = append(calls, frame{node: int32(root)})
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			v := f.node
			if f.next < len(g.adj[v]) {
				w := g.adj[v][f.next]
				f.next++
				switch {
				case t.index[w] == unvisited:
					t.visit(w)
					calls = append(calls, frame{node: w})
				case t.onStack[w]:
					t.low[v] = min(t.low[v], t.index[w])
				}
				continue
			}
			// v is done: pop it, and emit its component if it is a root.
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				u := calls[len(calls)-1].node
				t.low[u] = min(t.low[u], t.low[v])
			}
			if t.low[v] == t.index[v] {
				t.emit(v)
			}
		}
	}
	return t.r
}

const unvisited = -1

// tarjan is Tarjan's strongly connected components, run iteratively (a
// deep dependency chain must not overflow the goroutine stack), with each
// component's depth computed as it is emitted: components come out in
// reverse topological order, so every dependency's depth is known.
type tarjan struct {
	g          *Graph
	index, low []int32
	onStack    []bool
	stack      []int32 // visited nodes not yet in a component
	next       int32
	compDepth  []int
	r          Result
}

func (t *tarjan) visit(v int32) {
	t.index[v], t.low[v] = t.next, t.next
	t.next++
	t.stack = append(t.stack, v)
	t.onStack[v] = true
}

// emit pops the component rooted at v and records its members' depth
// and whether they are in a cycle.
func (t *tarjan) emit(v int32) {
	c := int32(len(t.compDepth))
	start := len(t.stack) - 1
	for t.stack[start] != v {
		start--
	}
	members := t.stack[start:]
	depth := 0
	cycle := len(members) > 1
	for _, m := range members {
		t.onStack[m] = false
		t.r.Component[m] = c
	}
	for _, m := range members {
		if t.g.external[m] {
			depth = max(depth, 1)
		}
		for _, w := range t.g.adj[m] {
			if wc := t.r.Component[w]; wc != c {
				depth = max(depth, t.compDepth[wc]+1)
			} else if w == m {
				cycle = true // depends on itself
			}
		}
	}
	t.stack = t.stack[:start]
	t.compDepth = append(t.compDepth, depth)
	for _, m := range members {
		t.r.Depth[m] = depth
		t.r.InCycle[m] = cycle
		if cycle {
			t.r.InCycles++
		}
	}
	t.r.Longest = max(t.r.Longest, depth)
}
