package capacity

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

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
	ok   []bool
	base []int
	// where are the residents that may match (nil: any); owner, when
	// >= 0, the workload whose pods alone it counts.
	where pods
	owner int32
	// domains lists, per domain, its counted nodes (spread only).
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

func byOwner(w int32) scope              { return scope{owner: w} }
func bySelector(s labels.Selector) scope { return scope{owner: -1, sel: s} }

// counterFor returns the counter of id, counted over the cluster before
// any loss on first use, over the pods of its scope.
func (st *state) counterFor(id any, key string, match func(string, map[string]string, int32) bool, nodeOK func(int32) bool, sc scope) *counter {
	if c, ok := st.counters[id]; ok {
		return c
	}
	k := st.keyID(key)
	c := &counter{id: len(st.counters), key: k, match: match, base: make([]int, st.domainN[k]), owner: sc.owner}
	if nodeOK != nil {
		c.ok = make([]bool, len(st.nodes))
		c.domains = make([][]int32, st.domainN[k])
		for i := range st.nodes {
			if d := st.domainOf[k][i]; d >= 0 && nodeOK(int32(i)) {
				c.ok[i] = true
				c.domains[d] = append(c.domains[d], int32(i))
			}
		}
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
				c.base[d]++
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

// sim is one loss: the lost nodes, and what the re-created pods have
// taken and evicted so far.
type sim struct {
	st *state
	// lost and free are the state's buffers (one simulation at a time),
	// restored by done: cloning them per simulation cost 5,000 copies of
	// a 5,000-node vector at 5,000 nodes.
	lost    []bool
	free    []int64
	touched []int32
	// added holds the workloads of the pods placed so far, by node;
	// addedGone marks those preempted since (node, index).
	added     map[int32][]int32
	addedGone map[[2]int32]bool
	// evicted marks residents preempted (node, index).
	evicted map[[2]int32]bool
	// deltas hold each counter's change from its base (by counter id; nil
	// until first used): the lost nodes' pods gone, the placed ones added.
	// active lists the counters with a delta, matching what placed pods
	// of a workload match among them.
	deltas   []*tally
	active   []*counter
	lostList []int32
	// minReq is the smallest request, per resource, of the pods still
	// to place; skip, per class, how many of its leading nodes are too
	// full for it.
	minReq []int64
	skip   map[int32]int
	// freed: a preemption gave some node more free capacity than before
	// the loss, so the order by free CPU before it no longer bounds a
	// search.
	freed bool
	// ambiguous lists workloads whose pods a preemption may or may not
	// evict, as the scheduler breaks ties by start times; tie says a
	// preemption had equally good nodes (by start times too), which
	// the simulation runs again taking the other.
	ambiguous []int32
	tie       bool
}

func (st *state) newSim(lost []int32) *sim {
	if st.free == nil {
		st.free, st.lost = slices.Clone(st.base), make([]bool, len(st.nodes))
	}
	sm := &sim{st: st, lost: st.lost, free: st.free, deltas: st.deltaBuf,
		added: map[int32][]int32{}, addedGone: map[[2]int32]bool{}, skip: map[int32]int{}, evicted: map[[2]int32]bool{}}
	for _, i := range lost {
		sm.lost[i] = true
	}
	sm.lostList = lost
	return sm
}

// done restores the state's buffers for the next simulation.
func (sm *sim) done() {
	for _, c := range sm.active {
		sm.deltas[c.id] = nil
	}
	sm.st.deltaBuf = sm.deltas
	R := len(sm.st.res)
	for _, i := range sm.touched {
		copy(sm.free[int(i)*R:int(i)*R+R], sm.st.base[int(i)*R:int(i)*R+R])
	}
	for _, i := range sm.lostList {
		sm.lost[i] = false
	}
}

// use notes that node i's free capacity changes.
func (sm *sim) use(i int32) { sm.touched = append(sm.touched, i) }

// count is c's pods in the domain of node i, and whether i has the key.
func (sm *sim) count(c *counter, i int32) (int, bool) {
	d := sm.st.domainOf[c.key][i]
	if d < 0 {
		return 0, false
	}
	return c.base[d] + sm.deltaOf(c).get(d), true
}

// tally is a counter's change per domain in one simulation: a slice for
// few domains (zones), a map for many (hosts), where a simulation touches
// a few of thousands and a slice per counter and simulation would be
// allocated and cleared 5,000 times over.
type tally struct {
	dense  []int
	sparse map[int32]int
}

func newTally(domains int) *tally {
	if domains <= 64 {
		return &tally{dense: make([]int, domains)}
	}
	return &tally{sparse: map[int32]int{}}
}

func (t *tally) get(d int32) int {
	if t.dense != nil {
		return t.dense[d]
	}
	return t.sparse[d]
}

func (t *tally) add(d int32, n int) {
	if t.dense != nil {
		t.dense[d] += n
		return
	}
	t.sparse[d] += n
}

func (t *tally) sum() int {
	n := 0
	for _, v := range t.dense {
		n += v
	}
	for _, v := range t.sparse {
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
	d := newTally(len(c.base))
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
		n := c.base[v] + d.get(int32(v))
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

// rules are one workload's counters for a placement attempt.
type rules struct {
	anti, affinity []*counter
	affinityAny    []bool // the term selects some pod anywhere
	affinitySelf   []bool // the pod matches its own term
	symmetric      []*counter
	spread         []*counter
	spreadMin      []int
	spreadSelf     []bool
}

func (sm *sim) rulesFor(w int32) *rules {
	st := sm.st
	fixed := st.rulesOf(w)
	r := *fixed
	r.affinityAny = make([]bool, len(r.affinity))
	for k, c := range r.affinity {
		total := 0
		for _, n := range c.base {
			total += n
		}
		total += sm.deltaOf(c).sum()
		r.affinityAny[k] = total > 0
	}
	r.spreadMin = make([]int, len(r.spread))
	for k, c := range r.spread {
		r.spreadMin[k], _ = sm.spreadMin(c, st.workloads[w].spread[k])
	}
	return &r
}

// rulesOf is the part of w's rules that no placement changes: its
// counters and whether its pods match their own terms (made once).
func (st *state) rulesOf(w int32) *rules {
	if st.rules == nil {
		st.rules = map[int32]*rules{}
	}
	if r, ok := st.rules[w]; ok {
		return r
	}
	wl := &st.workloads[w]
	r := &rules{}
	for k := range wl.anti {
		t := &wl.anti[k]
		r.anti = append(r.anti, st.counterFor(t, t.key, func(ns string, l map[string]string, _ int32) bool { return t.matches(ns, l) }, nil, bySelector(t.sel)))
	}
	for k := range wl.affinity {
		t := &wl.affinity[k]
		c := st.counterFor(t, t.key, func(ns string, l map[string]string, _ int32) bool { return t.matches(ns, l) }, nil, bySelector(t.sel))
		r.affinity = append(r.affinity, c)
		r.affinitySelf = append(r.affinitySelf, t.matches(wl.ns, wl.labels))
	}
	for _, key := range wl.repelledBy {
		t := &st.workloads[key.owner].anti[key.term]
		owner := int32(key.owner)
		r.symmetric = append(r.symmetric, st.counterFor(key, t.key, func(_ string, _ map[string]string, w int32) bool { return w == owner }, nil, byOwner(owner)))
	}
	for _, sp := range wl.spread {
		spec := wl.spec
		nodeOK := func(i int32) bool {
			n := &st.nodes[i]
			return (!sp.honorAffinity || st.affinityMatches(i, spec)) && (!sp.honorTaints || tolerates(n, spec.Tolerations))
		}
		ns := wl.ns
		c := st.counterFor(sp, sp.key, func(pns string, l map[string]string, _ int32) bool { return pns == ns && sp.sel.Matches(labelSet(l)) }, nodeOK, bySelector(sp.sel))
		r.spread = append(r.spread, c)
		r.spreadSelf = append(r.spreadSelf, sp.sel.Matches(labelSet(wl.labels)))
	}
	st.rules[w] = r
	return r
}

// interPod is why the inter-pod rules reject node i ("" if they pass),
// in the scheduler's order: topology spread, then inter-pod affinity.
func (sm *sim) interPod(w int32, i int32, r *rules) string {
	wl := &sm.st.workloads[w]
	for k, c := range r.spread {
		n, ok := sm.count(c, i)
		if !ok || (c.ok != nil && !c.ok[i]) {
			return ReasonTopologySpread
		}
		self := 0
		if r.spreadSelf[k] {
			self = 1
		}
		if int32(n+self-r.spreadMin[k]) > wl.spread[k].maxSkew {
			return ReasonTopologySpread
		}
	}
	for k, c := range r.affinity {
		n, ok := sm.count(c, i)
		if !ok {
			return ReasonPodAffinity
		}
		// The first pod of a group that selects itself may go anywhere.
		if n == 0 && (r.affinityAny[k] || !r.affinitySelf[k]) {
			return ReasonPodAffinity
		}
	}
	for _, c := range r.anti {
		if n, ok := sm.count(c, i); ok && n > 0 {
			return ReasonPodAntiAffinity
		}
	}
	for _, c := range r.symmetric {
		if c == nil {
			continue
		}
		if n, ok := sm.count(c, i); ok && n > 0 {
			return ReasonPodAntiAffinity
		}
	}
	return ""
}

// portsFree: no pod on node i holds one of the host ports.
func (sm *sim) portsFree(i int32, ports []hostPort) bool {
	if len(ports) == 0 {
		return true
	}
	taken := func(r *resident) bool {
		for _, a := range r.ports {
			for _, b := range ports {
				if a.conflicts(b) {
					return true
				}
			}
		}
		return false
	}
	for k := range sm.st.residents[i] {
		if !sm.evicted[[2]int32{i, int32(k)}] && taken(&sm.st.residents[i][k]) {
			return false
		}
	}
	for a, w := range sm.added[i] {
		if !sm.addedGone[[2]int32{i, int32(a)}] && taken(&resident{ports: sm.st.workloads[w].ports}) {
			return false
		}
	}
	return true
}

// short is the first resource node i lacks for req (-1: it fits).
func (sm *sim) short(i int32, req []int64) int {
	R := len(sm.st.res)
	for j, v := range req {
		if v > 0 && sm.free[int(i)*R+j] < v {
			return j
		}
	}
	return -1
}

// reject is why node i refuses a pod of w, in the scheduler's filter
// order ("" when it takes it).
func (sm *sim) reject(w int32, i int32, r *rules) string {
	wl := &sm.st.workloads[w]
	if !sm.portsFree(i, wl.ports) {
		return ReasonHostPort
	}
	if j := sm.short(i, wl.req); j >= 0 {
		return sm.st.reasonNames[j]
	}
	return sm.interPod(w, i, r)
}

// refusing lists every filter that refuses node i for a pod of w (the
// scheduler names the first, at its last attempt, which may have come
// before capacity the simulation sees taken was taken).
func (sm *sim) refusing(w int32, i int32, r *rules, out map[string]bool) {
	wl := &sm.st.workloads[w]
	if !sm.portsFree(i, wl.ports) {
		out[ReasonHostPort] = true
	}
	R := len(sm.st.res)
	for j, v := range wl.req {
		if v > 0 && sm.free[int(i)*R+j] < v {
			out[sm.st.reasonNames[j]] = true
		}
	}
	one := &rules{spread: r.spread, spreadMin: r.spreadMin, spreadSelf: r.spreadSelf}
	if reason := sm.interPod(w, i, one); reason != "" {
		out[reason] = true
	}
	one = &rules{affinity: r.affinity, affinityAny: r.affinityAny, affinitySelf: r.affinitySelf}
	if reason := sm.interPod(w, i, one); reason != "" {
		out[reason] = true
	}
	one = &rules{anti: r.anti, symmetric: r.symmetric}
	if reason := sm.interPod(w, i, one); reason != "" {
		out[reason] = true
	}
}

// place finds a node for a pod of w, or -1 (why says why).
func (sm *sim) place(w int32) int32 {
	st := sm.st
	wl := &st.workloads[w]
	nodes := st.classes[wl.class]
	R := len(st.res)
	if !wl.constrained {
		// Nodes by free CPU before the loss, most first: one with less
		// than the request now had less then too. Leading nodes that
		// cannot hold the smallest pod still queued stay skipped: free
		// capacity only shrinks until a preemption (which resets skip).
		k := sm.skip[wl.class]
		for k < len(nodes) && (sm.lost[nodes[k]] || sm.short(nodes[k], sm.minReq) >= 0) {
			k++
		}
		sm.skip[wl.class] = k
		// Among the first maxFeasible nodes that fit, the least
		// allocated (the scheduler's default score: the mean of free cpu
		// and memory shares), then the one with fewer of w's pods.
		best, feasible := int32(-1), 0
		var bestScore float64
		for _, i := range nodes[k:] {
			if !sm.freed && st.base[int(i)*R] < wl.req[0] {
				break
			}
			if sm.lost[i] || sm.short(i, wl.req) >= 0 {
				continue
			}
			score := sm.leastAllocated(i, wl.req)
			if best < 0 || score > bestScore {
				best, bestScore = i, score
			}
			if feasible++; feasible == maxFeasible {
				break
			}
		}
		return best
	}
	r := sm.rulesFor(w)
	zone, host := sm.sameCounters(w)
	best, feasible := int32(-1), 0
	for _, i := range nodes {
		if !sm.freed && st.base[int(i)*R] < wl.req[0] {
			break // by free CPU before the loss, most first: none further fits
		}
		if sm.lost[i] || sm.reject(w, i, r) != "" {
			continue
		}
		// The scheduler spreads a workload's pods (its default soft
		// topology spread) and favours the least allocated node.
		if best < 0 || sm.better(zone, host, i, best) {
			best = i
		}
		// Like the scheduler (percentageOfNodesToScore), stop looking
		// once enough nodes fit: only whether one does is asked.
		if feasible++; feasible == maxFeasible {
			break
		}
	}
	return best
}

// leastAllocated is the share of node i's cpu and memory left free once
// req is placed, averaged (NodeResourcesFit's LeastAllocated score).
func (sm *sim) leastAllocated(i int32, req []int64) float64 {
	R := len(sm.st.res)
	share := func(j int) float64 {
		alloc := sm.st.alloc[int(i)*R+j]
		if alloc <= 0 {
			return 0
		}
		used := int64(0)
		if req != nil {
			used = req[j]
		}
		return float64(sm.free[int(i)*R+j]-used) / float64(alloc)
	}
	return (share(0) + share(1)) / 2
}

// maxFeasible bounds the fitting nodes compared for one pod.
const maxFeasible = 100

// better: node a is preferred to b for a pod of the workload whose
// counters zone and host are (fewer of its pods in the zone, then on the
// node, then more free CPU).
func (sm *sim) better(zone, host *counter, a, b int32) bool {
	za, _ := sm.count(zone, a)
	zb, _ := sm.count(zone, b)
	if za != zb {
		return za < zb
	}
	na, _ := sm.count(host, a)
	nb, _ := sm.count(host, b)
	if na != nb {
		return na < nb
	}
	return sm.leastAllocated(a, nil) > sm.leastAllocated(b, nil)
}

// sameCounters count w's own pods per zone and per node.
func (sm *sim) sameCounters(w int32) (zone, host *counter) {
	own := func(_ string, _ map[string]string, x int32) bool { return x == w }
	zone = sm.st.counterFor(sameKey{w, true}, corev1.LabelTopologyZone, own, nil, byOwner(w))
	host = sm.st.counterFor(sameKey{w, false}, corev1.LabelHostname, own, nil, byOwner(w))
	return zone, host
}

type sameKey struct {
	w    int32
	zone bool
}

// why tallies, over every node not lost, the first filter that rejects a
// pod of w; the reason rejecting the most nodes is the pod's.
func (sm *sim) why(w int32, r *rules) (string, []string) {
	st := sm.st
	wl := &st.workloads[w]
	if r == nil && wl.constrained {
		r = sm.rulesFor(w)
	}
	if r == nil {
		r = &rules{}
	}
	tally := map[string]int{}
	all := map[string]bool{}
	for i := range st.nodes {
		if sm.lost[i] {
			if st.drain {
				tally[ReasonNodeUnschedulable]++ // cordoned by the drain
				all[ReasonNodeUnschedulable] = true
			}
			continue
		}
		reason := st.classReasons[wl.class][i]
		if reason == "" {
			reason = sm.reject(w, int32(i), r)
			sm.refusing(w, int32(i), r, all)
		}
		if reason != "" {
			tally[reason]++
			all[reason] = true
		}
	}
	best, most := ReasonNoNodes, 0
	for _, reason := range reasonOrder(st) {
		if tally[reason] > most {
			best, most = reason, tally[reason]
		}
	}
	filters := make([]string, 0, len(all))
	for f := range all {
		filters = append(filters, f)
	}
	slices.Sort(filters)
	return best, filters
}

// reasonOrder breaks ties between reasons, the one a user can act on
// first: resources, inter-pod rules, then node selection and cordon.
func reasonOrder(st *state) []string {
	var out []string
	out = append(out, st.reasonNames...)
	return append(out, ReasonTopologySpread, ReasonPodAntiAffinity, ReasonPodAffinity, ReasonHostPort,
		ReasonNodeAffinity, ReasonTaint, ReasonNodeUnschedulable)
}

// take puts a pod of w on node i.
func (sm *sim) take(w int32, i int32) {
	st := sm.st
	wl := &st.workloads[w]
	R := len(st.res)
	sm.use(i)
	for j, v := range wl.req {
		sm.free[int(i)*R+j] -= v
	}
	sm.added[i] = append(sm.added[i], w)
	sm.changeAdded(i, w)
}

// addedResident is a pod of w placed during a simulation.
func (st *state) addedResident(w int32) resident {
	wl := &st.workloads[w]
	return resident{workload: w, priority: wl.priority, matchable: true, ns: wl.ns, labels: wl.labels, req: wl.req, ports: wl.ports}
}

// podRef is a pod on node during a simulation: a resident (k >= 0) or a
// pod placed by the simulation (added index a >= 0).
type podRef struct {
	node int32
	k, a int
}

func (sm *sim) podOf(p podRef) resident {
	if p.k >= 0 {
		return sm.st.residents[p.node][p.k]
	}
	return sm.st.addedResident(sm.added[p.node][p.a])
}

// remove takes p off its node (preemption, or its trial).
func (sm *sim) remove(p podRef) {
	sm.move(p, true)
}

// restore puts a removed p back.
func (sm *sim) restore(p podRef) {
	sm.move(p, false)
}

func (sm *sim) move(p podRef, out bool) {
	if p.k >= 0 {
		sm.evicted[[2]int32{p.node, int32(p.k)}] = out
	} else {
		sm.addedGone[[2]int32{p.node, int32(p.a)}] = out
	}
	res := sm.podOf(p)
	R := len(sm.st.res)
	sign, n := int64(1), -1
	if !out {
		sign, n = -1, 1
	}
	sm.use(p.node)
	for j := range res.req {
		sm.free[int(p.node)*R+j] += sign * res.req[j]
	}
	if res.matchable {
		sm.change(p.node, res.ns, res.labels, res.workload, n)
	}
}

// present: p is on its node now.
func (sm *sim) present(p podRef) bool {
	if p.k >= 0 {
		return !sm.evicted[[2]int32{p.node, int32(p.k)}]
	}
	return !sm.addedGone[[2]int32{p.node, int32(p.a)}]
}

// fitsOn: a pod of w passes every filter on node i now.
func (sm *sim) fitsOn(w, i int32) bool {
	r := &rules{}
	if sm.st.workloads[w].constrained {
		r = sm.rulesFor(w)
	}
	return sm.reject(w, i, r) == ""
}

// preempt does the scheduler's default preemption for a pod of w: on
// each node of its class, remove every lower-priority pod; where the pod
// then passes every filter, reprieve the victims one by one, most
// important first, where the pod still fits with them back. The node
// chosen has the lowest highest-victim priority, then the lowest sum of
// victim priorities, then the fewest victims. It evicts them, places the
// pod, and returns the workloads to re-create, or false.
func (sm *sim) preempt(w int32) ([]int32, int, bool) {
	st := sm.st
	wl := &st.workloads[w]
	if st.samePriority || !wl.preempts {
		return nil, 0, false
	}
	bestNode := int32(-1)
	var bestTop, bestSum int64
	var bestVictims []podRef
	var bestAlike, tied []int32
	ties := 0
	for _, i := range st.classes[wl.class] {
		if sm.lost[i] {
			continue
		}
		var vs []podRef
		for k := range st.residents[i] {
			p := podRef{node: i, k: k, a: -1}
			if st.residents[i][k].priority < wl.priority && sm.present(p) {
				vs = append(vs, p)
			}
		}
		for a, aw := range sm.added[i] {
			p := podRef{node: i, k: -1, a: a}
			if st.workloads[aw].priority < wl.priority && sm.present(p) {
				vs = append(vs, p)
			}
		}
		if len(vs) == 0 {
			continue
		}
		for _, v := range vs {
			sm.remove(v)
		}
		if !sm.fitsOn(w, i) {
			for _, v := range vs {
				sm.restore(v)
			}
			continue
		}
		slices.SortStableFunc(vs, func(a, b podRef) int { return cmp.Compare(sm.podOf(b).priority, sm.podOf(a).priority) })
		var kept []podRef
		for _, v := range vs {
			sm.restore(v)
			if !sm.fitsOn(w, i) {
				sm.remove(v)
				kept = append(kept, v)
			}
		}
		if len(kept) == 0 {
			continue // it fits without evicting anyone (place stopped early)
		}
		top, sum := int64(kept[0].priorityIn(sm)), int64(0)
		for _, v := range kept {
			sum += int64(v.priorityIn(sm))
			sm.restore(v)
		}
		// Which of several pods of one priority the scheduler evicts,
		// and which of equally good nodes it picks, turns on the pods'
		// start times, which the snapshot does not hold: every workload
		// that could be the victim instead is undecided.
		alike := sm.alike(vs, kept)
		switch {
		case bestNode < 0 || top < bestTop || (top == bestTop && (sum < bestSum || (sum == bestSum && len(kept) < len(bestVictims)))):
			bestNode, bestTop, bestSum, bestVictims, bestAlike = i, top, sum, kept, alike
			tied, ties = nil, 0
		case top == bestTop && sum == bestSum && len(kept) == len(bestVictims):
			tied = append(tied, alike...)
			ties++
			if st.lastTie {
				bestNode, bestVictims, bestAlike = i, kept, alike
			}
		}
	}
	if bestNode < 0 {
		return nil, 0, false
	}
	if len(tied) > 0 {
		sm.ambiguous = append(append(sm.ambiguous, tied...), bestAlike...)
	} else if len(bestAlike) > len(bestVictims) {
		sm.ambiguous = append(sm.ambiguous, bestAlike...)
	}
	if ties > 0 {
		// Equally good nodes: where the pod goes decides what room the
		// pods of its priority and below find after it.
		sm.tie = true
	}
	var recreate []int32
	// Free capacity can now exceed what a node had before the loss.
	sm.freed = true
	for _, v := range bestVictims {
		sm.remove(v)
		res := sm.podOf(v)
		if res.workload >= 0 && !st.workloads[res.workload].daemon {
			recreate = append(recreate, res.workload)
		}
	}
	sm.take(w, bestNode)
	return recreate, len(bestVictims), true
}

func (p podRef) priorityIn(sm *sim) int32 { return sm.podOf(p).priority }

// alike lists the workloads of the potential victims that share a
// priority with a chosen victim (the chosen ones' among them); more
// workloads than victims means the choice among them is the scheduler's.
func (sm *sim) alike(potential, kept []podRef) []int32 {
	prios := map[int32]bool{}
	for _, v := range kept {
		prios[v.priorityIn(sm)] = true
	}
	seen := map[int32]bool{}
	var out []int32
	for _, v := range potential {
		res := sm.podOf(v)
		if prios[res.priority] && res.workload >= 0 && !seen[res.workload] {
			seen[res.workload] = true
			out = append(out, res.workload)
		}
	}
	if len(out) <= 1 {
		return nil // one workload: which of its pods goes does not matter
	}
	return out
}

// simulate re-homes the pods of the lost nodes in the scheduler's queue
// order (priority, then, among equals, largest request first), and once
// more smallest first where pods were left without a place: workloads
// whose fate differs between the two orders are undecided.
func (st *state) simulate(name string, lost []int32) Domain {
	var queue []int32
	// Per PDB budget, the drained pods that spend it, by workload.
	spending := map[int32]map[int32]int{}
	for _, i := range lost {
		for _, m := range st.movers[i] {
			r := &st.residents[i][m.from]
			if st.drain && r.refused {
				continue // the drain waits on it: it stays
			}
			if st.drain && r.budget >= 0 {
				if spending[r.budget] == nil {
					spending[r.budget] = map[int32]int{}
				}
				spending[r.budget][m.workload]++
			}
			queue = append(queue, m.workload)
		}
	}
	d := Domain{Name: name, Pods: len(queue)}
	queue = append(queue, st.pending...)
	first := st.run(lost, queue, bySize(st, false))
	outcome := first
	// least is the fewest pods left without a place in any order tried:
	// that many find none whichever order the scheduler meets them in.
	least := first.failed
	switch n := distinct(queue); {
	case first.failed == 0 || n == 1:
	case n <= maxOrderChecks:
		// Among pods of one priority the scheduler takes them in the
		// order controllers re-create them, which nothing here knows. A
		// workload's fate is decided when it is the same with its pods
		// queued first (its best case) and last (its worst).
		for w, o := range first.byWorkload {
			bestRun, worstRun := st.run(lost, queue, placing(w, true)), st.run(lost, queue, placing(w, false))
			least = min(least, bestRun.failed, worstRun.failed)
			best, worst := bestRun.byWorkload[w], worstRun.byWorkload[w]
			if best.failed != worst.failed {
				o.undecided = o.failed + o.placedOK
			} else {
				o.failed, o.placedOK, o.reason, o.filters = worst.failed, worst.placedOK, worst.reason, worst.filters
			}
			outcome.byWorkload[w] = o
		}
	default:
		// Too many workloads to try each first and last: the ones whose
		// fate differs between largest-first and smallest-first are
		// undecided, and the rest may be too (said in the docs).
		second := st.run(lost, queue, bySize(st, true))
		least = min(least, second.failed)
		for w, o := range first.byWorkload {
			if o.failed != second.byWorkload[w].failed {
				o.undecided = o.failed + o.placedOK
				outcome.byWorkload[w] = o
			}
		}
	}
	if st.drain && st.anyConstrained {
		// A drain's evictions and the replacements' scheduling overlap:
		// a replacement may be placed while pods it is counted with
		// (spread, affinity) still run on the draining node. Workloads
		// whose fate differs with those pods still there are undecided.
		st.drainPresent = true
		present := st.run(lost, queue, bySize(st, false))
		st.drainPresent = false
		for w, o := range outcome.byWorkload {
			if o.undecided == 0 && o.failed != present.byWorkload[w].failed {
				o.undecided = o.failed + o.placedOK
				o.undecidedWhy = UnknownDrainOrder
				outcome.byWorkload[w] = o
			}
		}
	}
	// A drain evicts a PDB's pods while its budget lasts; a replacement
	// that finds no place never gives its share back. More such pods
	// than the budget: the drain hangs with the rest still on the node,
	// and what their replacements would have taken elsewhere stays free
	// (the others' fate is then open). As many as the budget: it hangs
	// or not by which pod goes last.
	for b, byWorkload := range spending {
		evicted, stranded, placedAny := 0, 0, false
		for w, n := range byWorkload {
			evicted += n
			stranded += outcome.byWorkload[w].failed
			placedAny = placedAny || outcome.byWorkload[w].placedOK > 0
		}
		allowed := st.budgets[b].allowed
		switch {
		case evicted <= allowed || stranded < allowed:
		case stranded > allowed:
			d.Hangs = true
			d.HangsOn = append(d.HangsOn, st.budgets[b].name)
			for w, o := range outcome.byWorkload {
				if _, spends := byWorkload[w]; spends || (placedAny && o.undecided == 0) {
					o.undecided, o.undecidedWhy = max(o.failed+o.placedOK, 1), UnknownDrainOrder
					outcome.byWorkload[w] = o
				}
			}
		default:
			d.HangUnknown = true
		}
	}
	slices.Sort(d.HangsOn)
	d.Preempted = outcome.preempted
	if first.tie {
		// A preemption had equally good nodes (the scheduler picks by
		// start times): run again taking the last of them each time, and
		// what differs is undecided.
		st.lastTie = true
		other := st.run(lost, queue, bySize(st, false))
		st.lastTie = false
		for w, o := range first.byWorkload {
			if o.failed != other.byWorkload[w].failed {
				first.ambiguous = append(first.ambiguous, w)
			}
		}
		first.ambiguous = append(first.ambiguous, other.ambiguous...)
	}
	for _, w := range first.ambiguous {
		o := outcome.byWorkload[w]
		o.undecided = max(o.failed+o.placedOK, 1)
		o.undecidedWhy = UnknownPreemption
		outcome.byWorkload[w] = o
	}
	base := st.waiting()
	for w, o := range outcome.byWorkload {
		wl := &st.workloads[w]
		// Pods that wait without the loss too are not its doing; fewer
		// waiting after it are pods the loss lets in (a spread or
		// anti-affinity rule its pods kept unmet).
		if o.undecided == 0 && wl.unknown == "" {
			if o.failed -= base[w]; o.failed < 0 {
				d.Unblocked = append(d.Unblocked, Stranded{Workload: wl.name, Pods: -o.failed})
				o.failed = 0
			}
		}
		switch {
		case o.undecided > 0:
			d.add(&d.Unknown, &d.UnknownReasons, &d.Undecided, wl.name, o.undecided, cmp.Or(o.undecidedWhy, UnknownOrder))
		case wl.unknown != "":
			d.add(&d.Unknown, &d.UnknownReasons, &d.Undecided, wl.name, o.failed+o.placedOK, wl.unknown)
		case o.failed > 0:
			d.add(&d.Unschedulable, &d.Reasons, &d.Stranded, wl.name, o.failed, o.reason)
			d.Stranded[len(d.Stranded)-1].Filters = o.filters
		}
	}
	// Pods certain to find no place though which ones is undecided: in
	// the count (under the reason most undecided pods have) and out of
	// the unknown.
	baseTotal := 0
	for _, n := range base {
		baseTotal += n
	}
	if extra := least - baseTotal - d.Unschedulable; extra > 0 && !d.Hangs {
		why, most := UnknownOrder, 0
		for r, n := range d.UnknownReasons {
			if n > most || (n == most && r < why) {
				why, most = r, n
			}
		}
		d.Unschedulable += extra
		if d.Reasons == nil {
			d.Reasons = map[string]int{}
		}
		d.Reasons[why] += extra
		d.Unknown = max(0, d.Unknown-extra)
		if d.UnknownReasons[why] -= extra; d.UnknownReasons[why] <= 0 {
			delete(d.UnknownReasons, why)
		}
	}
	if st.drain && len(d.Unblocked) > 0 {
		// A PDB refusing a pod now may allow it once the drain lets the
		// workload's pending pods in (they become ready, the budget comes
		// back): whether the drain waits on it forever is then open.
		unblocked := map[string]bool{}
		for _, u := range d.Unblocked {
			unblocked[u.Workload] = true
		}
		for _, i := range lost {
			for _, r := range st.residents[i] {
				if r.refused && r.workload >= 0 && unblocked[st.workloads[r.workload].name] {
					d.HangUnknown = true
				}
			}
		}
	}
	slices.SortFunc(d.Stranded, func(a, b Stranded) int {
		return cmp.Or(cmp.Compare(b.Pods, a.Pods), cmp.Compare(a.Workload, b.Workload))
	})
	slices.SortFunc(d.Undecided, func(a, b Stranded) int { return cmp.Compare(a.Workload, b.Workload) })
	if len(d.Stranded) > maxStranded {
		d.Stranded = d.Stranded[:maxStranded]
	}
	if len(d.Undecided) > maxStranded {
		d.Undecided = d.Undecided[:maxStranded]
	}
	return d
}

func (d *Domain) add(total *int, reasons *map[string]int, list *[]Stranded, workload string, pods int, reason string) {
	if pods == 0 {
		return
	}
	*total += pods
	if *reasons == nil {
		*reasons = map[string]int{}
	}
	(*reasons)[reason] += pods
	*list = append(*list, Stranded{Workload: workload, Pods: pods, Reason: reason})
}

func distinct(ws []int32) int {
	seen := map[int32]bool{}
	for _, w := range ws {
		seen[w] = true
	}
	return len(seen)
}

// waiting is, per workload, how many of its pending pods the scheduler
// leaves pending with no loss at all.
func (st *state) waiting() map[int32]int {
	if st.baseline == nil {
		st.baseline = map[int32]int{}
		if len(st.pending) > 0 {
			for w, f := range st.run(nil, st.pending, bySize(st, false)).byWorkload {
				st.baseline[w] = f.failed
			}
		}
	}
	return st.baseline
}

// maxRetryPasses bounds how often the pods left without a place are
// tried again after others were placed or evicted.
const maxRetryPasses = 8

// maxOrderChecks bounds the workloads of one lost domain whose pods are
// each tried first and last in the queue (two runs each).
const maxOrderChecks = 24

// bySize orders pods of one priority largest request first (or
// smallest), then by workload.
func bySize(st *state, smallestFirst bool) func(a, b int32) int {
	return func(a, b int32) int {
		wa, wb := &st.workloads[a], &st.workloads[b]
		size := cmp.Or(cmp.Compare(wb.req[0], wa.req[0]), cmp.Compare(wb.req[1], wa.req[1]))
		if smallestFirst {
			size = -size
		}
		return cmp.Or(size, cmp.Compare(a, b))
	}
}

// placing orders w's pods first (or last) among pods of one priority.
func placing(w int32, first bool) func(a, b int32) int {
	return func(a, b int32) int {
		if (a == w) == (b == w) {
			return cmp.Compare(a, b)
		}
		if (a == w) == first {
			return -1
		}
		return 1
	}
}

// fate is what one run did with one workload's pods.
type fate struct {
	failed, placedOK, undecided int
	reason                      string
	// undecidedWhy: UnknownOrder unless set.
	undecidedWhy string
	// filters: every filter refusing it on some node.
	filters []string
}

type runResult struct {
	byWorkload map[int32]fate
	failed     int
	preempted  int
	ambiguous  []int32
	// tie: as sim's.
	tie bool
}

// run places queue (workload per pod) after the loss of lost.
func (st *state) run(lost []int32, queue []int32, tie func(a, b int32) int) runResult {
	sm := st.newSim(lost)
	q := slices.Clone(queue)
	slices.SortStableFunc(q, func(a, b int32) int {
		return cmp.Or(cmp.Compare(st.workloads[b].priority, st.workloads[a].priority), tie(a, b))
	})
	res := runResult{byWorkload: map[int32]fate{}}
	sm.minReq = nil
	lower := func(w int32) {
		req := st.workloads[w].req
		if sm.minReq == nil {
			sm.minReq = slices.Clone(req)
		}
		for j, v := range req {
			sm.minReq[j] = min(sm.minReq[j], v)
		}
	}
	for _, w := range q {
		lower(w)
	}
	// Start every counter the queued pods read before any is placed: a
	// counter started later must replay every placement so far.
	seen := map[int32]bool{}
	for _, w := range q {
		if seen[w] || !st.workloads[w].constrained {
			continue
		}
		seen[w] = true
		r := sm.rulesFor(w)
		zone, host := sm.sameCounters(w)
		for _, cs := range [][]*counter{r.anti, r.affinity, r.symmetric, r.spread, {zone, host}} {
			for _, c := range cs {
				if c != nil {
					sm.deltaOf(c)
				}
			}
		}
	}
	// full marks the unconstrained workloads a pod of which found no
	// node: capacity only shrinks until a preemption frees some, so their
	// next pods need no search.
	full := map[int32]bool{}
	// Unconstrained workloads of one class and request share their
	// reason within a pass (nothing they read changes but capacity, which
	// only shrinks).
	type whyKey struct {
		class int32
		req   string
	}
	type reasons struct {
		main    string
		filters []string
	}
	shared := map[whyKey]reasons{}
	reasonAt := func(w int32) (string, []string) {
		wl := &st.workloads[w]
		if wl.constrained {
			return sm.why(w, nil)
		}
		k := whyKey{wl.class, fmt.Sprint(wl.req)}
		if _, ok := shared[k]; !ok {
			main, filters := sm.why(w, nil)
			shared[k] = reasons{main, filters}
		}
		return shared[k].main, shared[k].filters
	}
	// The scheduler tries a pod it could not place again when the
	// cluster changes in a way that may let it in: a pod placed (pod
	// affinity, spread) or evicted (any filter). failedQ holds those pods.
	var failedQ []int32
	for pass := 0; ; pass++ {
		placed, preempted := false, false
		for len(q) > 0 {
			w := q[0]
			q = q[1:]
			f := res.byWorkload[w]
			i := int32(-1)
			if !full[w] {
				i = sm.place(w)
			}
			if i >= 0 {
				sm.take(w, i)
				f.placedOK++
				placed = true
			} else if recreate, n, ok := sm.preempt(w); ok {
				clear(full)
				clear(sm.skip)
				f.placedOK++
				res.preempted += n
				placed, preempted = true, true
				for _, v := range recreate {
					lower(v)
					// Re-created victims queue behind pods of higher priority.
					at, _ := slices.BinarySearchFunc(q, v, func(x, t int32) int {
						if c := cmp.Compare(st.workloads[t].priority, st.workloads[x].priority); c != 0 {
							return c
						}
						return -1
					})
					q = slices.Insert(q, at, v)
				}
			} else {
				f.failed++
				res.failed++
				failedQ = append(failedQ, w)
				// The reason as of this attempt: the scheduler reports its
				// last attempt, and tries a pod again only on changes that
				// may help it (as the retry passes below do).
				f.reason, f.filters = reasonAt(w)
				// Capacity, anti-affinity and host ports only tighten as
				// pods are placed: the next pod of w fails too, unless a
				// spread's minimum or a pod to sit beside can still come.
				if wl := &st.workloads[w]; len(wl.spread) == 0 && len(wl.affinity) == 0 {
					full[w] = true
				}
			}
			res.byWorkload[w] = f
		}
		if !placed || pass == maxRetryPasses {
			break
		}
		var again, still []int32
		for _, w := range failedQ {
			if st.workloads[w].constrained || preempted {
				again = append(again, w)
				f := res.byWorkload[w]
				f.failed--
				res.byWorkload[w] = f
				res.failed--
			} else {
				still = append(still, w)
			}
		}
		if len(again) == 0 {
			break
		}
		clear(shared)
		q, failedQ = again, still
	}
	res.ambiguous, res.tie = sm.ambiguous, sm.tie
	sm.done()
	return res
}

func labelSet(l map[string]string) labels.Set { return labels.Set(l) }
