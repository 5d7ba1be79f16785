package capacity

import (
	"slices"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// counter counts, per topology domain (a node label's value, numbered
// by state.keyID), the pods a rule selects: the pods a term or spread
// constraint looks at.
type counter struct {
	id    int // index into sim.deltas
	key   int // topology key id
	match func(ns string, labels map[string]string, workload int32) bool
	// ok, when set, says which nodes count (a spread constraint's
	// policies); nil counts every node.
	ok []bool
	// base counts per domain before any loss: dense for zones, sparse
	// for hosts (a slice of 5,000 per workload's own-host counter was
	// most of an analysis' allocations on a constrained cluster).
	base *tally
	// where are the residents that may match (nil: any); owner, when
	// >= 0, the workload whose pods alone it counts.
	where pods
	owner int32
	// domains lists, per domain, its counted nodes (spread only).
	domains [][]int32
}

// countedNodes returns which nodes nodeOK keeps and, per domain of key
// k, the kept nodes. Spread constraints of workloads with the same node
// rules keep the same nodes: one copy is shared between them.
func (st *state) countedNodes(k int, nodeOK func(int32) bool) ([]bool, [][]int32) {
	bits := make([]byte, (len(st.nodes)+7)/8)
	for i := range st.nodes {
		if st.domainOf[k][i] >= 0 && nodeOK(int32(i)) {
			bits[i/8] |= 1 << (i % 8)
		}
	}
	type key struct {
		topology int
		bits     string
	}
	if st.spreadNodes == nil {
		st.spreadNodes = map[any]countedNodes{}
	}
	id := key{k, string(bits)}
	if c, seen := st.spreadNodes[id]; seen {
		return c.ok, c.domains
	}
	ok := make([]bool, len(st.nodes))
	domains := make([][]int32, st.domainN[k])
	for i := range ok {
		if bits[i/8]&(1<<(i%8)) != 0 {
			ok[i] = true
			d := st.domainOf[k][i]
			domains[d] = append(domains[d], int32(i))
		}
	}
	st.spreadNodes[id] = countedNodes{ok, domains}
	return ok, domains
}

type countedNodes struct {
	ok      []bool
	domains [][]int32
}

// keyID numbers a topology key and the domains of its values over the
// nodes (domainOf[id][node], -1 where the node lacks the key).
func (st *state) keyID(key string) int {
	if id, ok := st.keyIDs[key]; ok {
		return id
	}
	id := len(st.domainOf)
	st.keyIDs[key] = id
	values := map[string]int32{}
	of := make([]int32, len(st.nodes))
	for i := range st.nodes {
		v, ok := st.nodes[i].labels[key]
		if !ok {
			of[i] = -1
			continue
		}
		d, seen := values[v]
		if !seen {
			d = int32(len(values))
			values[v] = d
		}
		of[i] = d
	}
	st.domainOf = append(st.domainOf, of)
	st.domainN = append(st.domainN, len(values))
	return id
}

// pos is a resident: node and index.
type pos struct{ node, k int32 }

// pods is where a counter looks: the residents that may match it (nil:
// every resident).
type pods []pos

// ofWorkload: the residents of workload w.
func (st *state) ofWorkload(w int32) pods {
	if st.byWorkload == nil {
		st.byWorkload = make([]pods, len(st.workloads))
		for i, rs := range st.residents {
			for k, r := range rs {
				if r.workload >= 0 {
					st.byWorkload[r.workload] = append(st.byWorkload[r.workload], pos{int32(i), int32(k)})
				}
			}
		}
	}
	if st.byWorkload[w] == nil {
		return pods{}
	}
	return st.byWorkload[w]
}

// selected: the residents that carry the label the selector's most
// selective equality requires, and those labels ("key=value"); nil when
// it requires none (every resident may match). A counter made from the
// cluster's 150,000 pods per rule would cost the rules times the pods.
func (st *state) selected(sel labels.Selector) (pods, []string) {
	reqs, selectable := sel.Requirements()
	if !selectable {
		return pods{}, []string{} // labels.Nothing
	}
	if st.byLabel == nil {
		st.byLabel = map[string]pods{}
		for i, rs := range st.residents {
			for k, r := range rs {
				for key, v := range r.labels {
					st.byLabel[key+"="+v] = append(st.byLabel[key+"="+v], pos{int32(i), int32(k)})
				}
			}
		}
	}
	var best pods
	var keys []string
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			list, ks := pods{}, []string{}
			for v := range r.Values() {
				list = append(list, st.byLabel[r.Key()+"="+v]...)
				ks = append(ks, r.Key()+"="+v)
			}
			if keys == nil || len(list) < len(best) {
				best, keys = list, ks
			}
		}
	}
	return best, keys
}

// requiredLabels are the "key=value" labels of a selector's first
// equality requirement: a pod it selects carries one of them. Nil when it
// has none.
func requiredLabels(sel labels.Selector) []string {
	reqs, selectable := sel.Requirements()
	if !selectable {
		return []string{}
	}
	for _, r := range reqs {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			var out []string
			for v := range r.Values() {
				out = append(out, r.Key()+"="+v)
			}
			return out
		}
	}
	return nil
}

// scope says which pods a counter may count: a workload's (owner >= 0),
// or those a selector selects (sel; nil: any pod).
type scope struct {
	owner int32
	sel   labels.Selector
}

func byOwner(w int32) scope { return scope{owner: w} }

func bySelector(s labels.Selector) scope { return scope{owner: -1, sel: s} }

// counterFor returns the counter of id, counted over the cluster before
// any loss on first use, over the pods of its scope.
func (st *state) counterFor(id any, key string, match func(string, map[string]string, int32) bool, nodeOK func(int32) bool, sc scope) *counter {
	if c, ok := st.counters[id]; ok {
		return c
	}
	k := st.keyID(key)
	c := &counter{id: len(st.counters), key: k, match: match, base: newTally(st.domainN[k]), owner: sc.owner}
	if nodeOK != nil {
		c.ok, c.domains = st.countedNodes(k, nodeOK)
	}
	// Index the counter by what a placed pod must carry to match it
	// (changeAdded), and find the residents it counts.
	var keys []string
	switch {
	case sc.owner >= 0:
		c.where = st.ofWorkload(sc.owner)
		st.ownerCounters[sc.owner] = append(st.ownerCounters[sc.owner], c)
	case sc.sel != nil:
		c.where, keys = st.selected(sc.sel)
	}
	for _, k := range keys {
		st.labelCounters[k] = append(st.labelCounters[k], c)
	}
	if sc.owner < 0 && keys == nil {
		st.anyCounters = append(st.anyCounters, c)
	}
	count := func(i, k int32) {
		if d := st.at(c, i); d >= 0 {
			if r := &st.residents[i][k]; r.matchable && match(r.ns, r.labels, r.workload) {
				c.base.add(d, 1)
			}
		}
	}
	if c.where != nil {
		for _, p := range c.where {
			count(p.node, p.k)
		}
	} else {
		for i, rs := range st.residents {
			for k := range rs {
				count(int32(i), int32(k))
			}
		}
	}
	st.counters[id] = c
	return c
}

// countersOf lists the counters a placed pod of w may match: those of its
// workload, those whose selector requires one of its labels, and those
// not indexed (made once per workload and counter count).
func (st *state) countersOf(w int32) []*counter {
	m := st.workloadCounters[w]
	if m != nil && m.made == len(st.counters) {
		return m.list
	}
	if m == nil {
		m = &counterList{}
		st.workloadCounters[w] = m
	}
	m.made = len(st.counters)
	m.list = append(m.list[:0], st.ownerCounters[w]...)
	seen := map[*counter]bool{}
	for _, c := range m.list {
		seen[c] = true
	}
	add := func(cs []*counter) {
		for _, c := range cs {
			if !seen[c] {
				seen[c] = true
				m.list = append(m.list, c)
			}
		}
	}
	wl := &st.workloads[w]
	for k, v := range wl.labels {
		add(st.labelCounters[k+"="+v])
	}
	add(st.anyCounters)
	return m.list
}

// counterList is countersOf's cache entry.
type counterList struct {
	made int // len(state.counters) when made
	list []*counter
}

// at is the domain of node i that c counts it in, -1 for none.
func (st *state) at(c *counter, i int32) int32 {
	d := st.domainOf[c.key][i]
	if d < 0 || (c.ok != nil && !c.ok[i]) {
		return -1
	}
	return d
}

type antiKey struct{ owner, term int }

// count is c's pods in the domain of node i, and whether i has the key.
func (sm *sim) count(c *counter, i int32) (int, bool) {
	d := sm.st.domainOf[c.key][i]
	if d < 0 {
		return 0, false
	}
	return c.base.get(d) + sm.deltaOf(c).get(d), true
}

// tally is a count per domain: a slice for few domains (zones), and for
// many (hosts), where a simulation touches a few of thousands, the
// domains it holds in order (a slice per counter and simulation would be
// allocated and cleared 5,000 times over; a map costs a hash per look,
// and looks are most of a constrained simulation).
type tally struct {
	dense []int
	// keys (sorted) and vals: the sparse domains; past maxSortedTally
	// of them, many.
	keys []int32
	vals []int
	many map[int32]int
}

// maxSortedTally bounds the domains a sparse tally keeps sorted.
const maxSortedTally = 32

func newTally(domains int) *tally {
	if domains <= 64 {
		return &tally{dense: make([]int, domains)}
	}
	return &tally{}
}

func (t *tally) get(d int32) int {
	switch {
	case t.dense != nil:
		return t.dense[d]
	case t.many != nil:
		return t.many[d]
	}
	for k, x := range t.keys {
		if x == d {
			return t.vals[k]
		}
		if x > d {
			break
		}
	}
	return 0
}

func (t *tally) add(d int32, n int) {
	switch {
	case t.dense != nil:
		t.dense[d] += n
		return
	case t.many != nil:
		t.many[d] += n
		return
	}
	k, found := slices.BinarySearch(t.keys, d)
	if found {
		t.vals[k] += n
		return
	}
	if len(t.keys) == maxSortedTally {
		t.many = make(map[int32]int, 2*maxSortedTally)
		for j, x := range t.keys {
			t.many[x] = t.vals[j]
		}
		t.many[d] += n
		t.keys, t.vals = nil, nil
		return
	}
	t.keys = slices.Insert(t.keys, k, d)
	t.vals = slices.Insert(t.vals, k, n)
}

func (t *tally) sum() int {
	n := 0
	for _, v := range t.dense {
		n += v
	}
	for _, v := range t.vals {
		n += v
	}
	for _, v := range t.many {
		n += v
	}
	return n
}

// deltaOf returns c's change from its base in this simulation, starting
// it on first use from what the simulation did so far.
func (sm *sim) deltaOf(c *counter) *tally {
	if c.id < len(sm.deltas) && sm.deltas[c.id] != nil {
		return sm.deltas[c.id]
	}
	st := sm.st
	d := newTally(st.domainN[c.key])
	gone := func(i, k int32) {
		dm := st.at(c, i)
		if dm < 0 || st.drainPresent {
			return
		}
		r := &st.residents[i][k]
		if st.drain && (r.refused || (r.workload >= 0 && st.workloads[r.workload].daemon)) {
			return // a drain leaves DaemonSet pods, and those it may not evict
		}
		if r.matchable && !sm.evicted[[2]int32{i, k}] && c.match(r.ns, r.labels, r.workload) {
			d.add(dm, -1)
		}
	}
	if c.where != nil && len(c.where) < len(sm.lostList)*8 {
		for _, p := range c.where {
			if sm.lost[p.node] {
				gone(p.node, p.k)
			}
		}
	} else {
		for _, i := range sm.lostList {
			for k := range st.residents[i] {
				gone(i, int32(k))
			}
		}
	}
	// Pods preempted on nodes still there, pods placed and still present.
	for pos, out := range sm.evicted {
		i := pos[0]
		dm := st.at(c, i)
		if !out || sm.lost[i] || dm < 0 {
			continue
		}
		if r := &st.residents[i][pos[1]]; r.matchable && c.match(r.ns, r.labels, r.workload) {
			d.add(dm, -1)
		}
	}
	for i, ws := range sm.added {
		dm := st.at(c, i)
		if dm < 0 {
			continue
		}
		for a, w := range ws {
			if wl := &st.workloads[w]; !sm.addedGone[[2]int32{i, int32(a)}] && c.match(wl.ns, wl.labels, w) {
				d.add(dm, 1)
			}
		}
	}
	for len(sm.deltas) <= c.id {
		sm.deltas = append(sm.deltas, nil)
	}
	sm.deltas[c.id] = d
	sm.active = append(sm.active, c)
	return d
}

// change adds n pods (workload w, namespace ns, labels l) on node i to
// every counter in use.
func (sm *sim) change(i int32, ns string, l map[string]string, w int32, n int) {
	for _, c := range sm.active {
		if dm := sm.st.at(c, i); dm >= 0 && c.match(ns, l, w) {
			sm.deltas[c.id].add(dm, n)
		}
	}
}

// changeAdded is change for a pod the simulation places (the hot path:
// one call per pod placed), over the counters its workload may match.
func (sm *sim) changeAdded(i int32, w int32) {
	wl := &sm.st.workloads[w]
	for _, c := range sm.st.countersOf(w) {
		if c.id >= len(sm.deltas) || sm.deltas[c.id] == nil {
			continue // not in use in this simulation
		}
		if dm := sm.st.at(c, i); dm >= 0 && c.match(wl.ns, wl.labels, w) {
			sm.deltas[c.id].add(dm, 1)
		}
	}
}

// spreadMin is the smallest count over the constraint's domains that keep
// a node, 0 while fewer than minDomains remain.
func (sm *sim) spreadMin(c *counter, sp *spread) (int, bool) {
	best, domains := 0, 0
	d := sm.deltaOf(c)
	for v, nodes := range c.domains {
		if len(nodes) == 0 {
			continue
		}
		// A drained node is cordoned, not gone: its domain still counts.
		alive := sm.st.drain
		for _, i := range nodes {
			if !sm.lost[i] {
				alive = true
				break
			}
		}
		if !alive {
			continue
		}
		n := c.base.get(int32(v)) + d.get(int32(v))
		if domains == 0 || n < best {
			best = n
		}
		domains++
	}
	if int32(domains) < sp.minDomains {
		best = 0
	}
	return best, domains > 0
}

func labelSet(l map[string]string) labels.Set { return labels.Set(l) }
