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
	r := Result{Component: make([]int32, n), InCycle: make([]bool, n), Depth: make([]int, n)}
	const unvisited = -1
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = unvisited
	}
	var stack []int32 // Tarjan's stack of visited nodes
	type frame struct {
		node int32
		next int // next edge of node to look at
	}
	var calls []frame // the explicit call stack
	var compDepth []int
	next := int32(0)
	for root := range n {
		if index[root] != unvisited {
			continue
		}
		calls = append(calls, frame{node: int32(root)})
		index[root], low[root] = next, next
		next++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			v := f.node
			if f.next < len(g.adj[v]) {
				w := g.adj[v][f.next]
				f.next++
				switch {
				case index[w] == unvisited:
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					calls = append(calls, frame{node: w})
				case onStack[w]:
					low[v] = min(low[v], index[w])
				}
				continue
			}
			// v is done: pop it, and emit its component if it is a root.
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				u := calls[len(calls)-1].node
				low[u] = min(low[u], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			c := int32(len(compDepth))
			start := len(stack) - 1
			for stack[start] != v {
				start--
			}
			members := stack[start:]
			depth := 0
			cycle := len(members) > 1
			for _, m := range members {
				onStack[m] = false
				r.Component[m] = c
			}
			for _, m := range members {
				if g.external[m] {
					depth = max(depth, 1)
				}
				for _, w := range g.adj[m] {
					if wc := r.Component[w]; wc != c {
						depth = max(depth, compDepth[wc]+1)
					} else if w == m {
						cycle = true // depends on itself
					}
				}
			}
			stack = stack[:start]
			compDepth = append(compDepth, depth)
			for _, m := range members {
				r.Depth[m] = depth
				r.InCycle[m] = cycle
				if cycle {
					r.InCycles++
				}
			}
			r.Longest = max(r.Longest, depth)
		}
	}
	return r
}
