package capacity

import (
	"cmp"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/labels"
)

// counter counts, per topology domain (a node label's value), the pods a
// rule selects: the pods a term or spread constraint looks at.
type counter struct {
	key   string
	match func(ns string, labels map[string]string, workload int32) bool
	// nodeOK limits the nodes counted (a spread constraint's policies);
	// nil counts every node.
	nodeOK func(i int32) bool
	base   map[string]int
	// domains lists, per domain, its counted nodes (spread only).
	domains map[string][]int32
}

// counterFor returns the counter of id, counted over the cluster before
// any loss on first use.
func (st *state) counterFor(id any, key string, match func(string, map[string]string, int32) bool, nodeOK func(int32) bool) *counter {
	if c, ok := st.counters[id]; ok {
		return c
	}
	c := &counter{key: key, match: match, nodeOK: nodeOK, base: map[string]int{}}
	if nodeOK != nil {
		c.domains = map[string][]int32{}
	}
	for i := range st.nodes {
		v, ok := st.nodes[i].labels[key]
		if !ok || (nodeOK != nil && !nodeOK(int32(i))) {
			continue
		}
		if c.domains != nil {
			c.domains[v] = append(c.domains[v], int32(i))
		}
		for k := range st.residents[i] {
			r := &st.residents[i][k]
			if r.matchable && match(r.ns, r.labels, r.workload) {
				c.base[v]++
			}
		}
	}
	st.counters[id] = c
	return c
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
	// delta is each counter's change from its base: the lost nodes' pods
	// gone, the placed ones added.
	delta    map[*counter]map[string]int
	lostList []int32
	// minReq is the smallest request, per resource, of the pods still
	// to place; skip, per class, how many of its leading nodes are too
	// full for it.
	minReq []int64
	skip   map[int32]int
	// ambiguous lists workloads whose pods a preemption may or may not
	// evict, as the scheduler breaks ties by start times.
	ambiguous []int32
}

func (st *state) newSim(lost []int32) *sim {
	if st.free == nil {
		st.free, st.lost = slices.Clone(st.base), make([]bool, len(st.nodes))
	}
	sm := &sim{st: st, lost: st.lost, free: st.free,
		added: map[int32][]int32{}, addedGone: map[[2]int32]bool{}, skip: map[int32]int{}, evicted: map[[2]int32]bool{}, delta: map[*counter]map[string]int{}}
	for _, i := range lost {
		sm.lost[i] = true
	}
	sm.lostList = lost
	return sm
}

// done restores the state's buffers for the next simulation.
func (sm *sim) done() {
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
	v, ok := sm.st.nodes[i].labels[c.key]
	if !ok {
		return 0, false
	}
	return c.base[v] + sm.deltaOf(c)[v], true
}

// deltaOf returns c's delta, starting it with the lost nodes' pods
// removed.
func (sm *sim) deltaOf(c *counter) map[string]int {
	if d, ok := sm.delta[c]; ok {
		return d
	}
	d := map[string]int{}
	for i, lost := range sm.lost {
		if !lost || sm.st.drainPresent {
			continue
		}
		v, ok := sm.st.nodes[i].labels[c.key]
		if !ok || (c.nodeOK != nil && !c.nodeOK(int32(i))) {
			continue
		}
		for k := range sm.st.residents[i] {
			r := &sm.st.residents[i][k]
			if sm.st.drain && r.workload >= 0 && sm.st.workloads[r.workload].daemon {
				continue // a drain leaves DaemonSet pods where they are
			}
			if r.matchable && !sm.evicted[[2]int32{int32(i), int32(k)}] && c.match(r.ns, r.labels, r.workload) {
				d[v]--
			}
		}
	}
	// What the simulation changed before this counter's first use: pods
	// preempted on nodes still there, pods placed and still present.
	for at, out := range sm.evicted {
		i := at[0]
		if !out || sm.lost[i] {
			continue
		}
		v, ok := sm.st.nodes[i].labels[c.key]
		if !ok || (c.nodeOK != nil && !c.nodeOK(i)) {
			continue
		}
		if r := &sm.st.residents[i][at[1]]; r.matchable && c.match(r.ns, r.labels, r.workload) {
			d[v]--
		}
	}
	for i, ws := range sm.added {
		v, ok := sm.st.nodes[i].labels[c.key]
		if !ok || (c.nodeOK != nil && !c.nodeOK(i)) {
			continue
		}
		for a, w := range ws {
			if wl := &sm.st.workloads[w]; !sm.addedGone[[2]int32{i, int32(a)}] && c.match(wl.ns, wl.labels, w) {
				d[v]++
			}
		}
	}
	sm.delta[c] = d
	return d
}

// change adds n pods (workload w, namespace ns, labels l) on node i to
// every counter in use.
func (sm *sim) change(i int32, ns string, l map[string]string, w int32, n int) {
	for c, d := range sm.delta {
		v, ok := sm.st.nodes[i].labels[c.key]
		if !ok || (c.nodeOK != nil && !c.nodeOK(i)) {
			continue
		}
		if c.match(ns, l, w) {
			d[v] += n
		}
	}
}

// spreadMin is the smallest count over the constraint's domains that keep
// a node, 0 while fewer than minDomains remain.
func (sm *sim) spreadMin(c *counter, sp *spread) (int, bool) {
	best, domains := 0, 0
	d := sm.deltaOf(c)
	for v, nodes := range c.domains {
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
		n := c.base[v] + d[v]
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
	wl := &st.workloads[w]
	r := &rules{}
	for k := range wl.anti {
		t := &wl.anti[k]
		r.anti = append(r.anti, st.counterFor(t, t.key, func(ns string, l map[string]string, _ int32) bool { return t.matches(ns, l) }, nil))
	}
	for k := range wl.affinity {
		t := &wl.affinity[k]
		c := st.counterFor(t, t.key, func(ns string, l map[string]string, _ int32) bool { return t.matches(ns, l) }, nil)
		r.affinity = append(r.affinity, c)
		total := 0
		for _, n := range c.base {
			total += n
		}
		for _, n := range sm.deltaOf(c) {
			total += n
		}
		r.affinityAny = append(r.affinityAny, total > 0)
		r.affinitySelf = append(r.affinitySelf, t.matches(wl.ns, wl.labels))
	}
	for _, o := range st.antiOwners {
		for k := range st.workloads[o].anti {
			t := &st.workloads[o].anti[k]
			if !t.matches(wl.ns, wl.labels) {
				r.symmetric = append(r.symmetric, nil)
				continue
			}
			owner := o
			r.symmetric = append(r.symmetric, st.counterFor(antiKey{int(o), k}, t.key, func(_ string, _ map[string]string, w int32) bool { return w == owner }, nil))
		}
	}
	for _, sp := range wl.spread {
		spec := wl.spec
		nodeOK := func(i int32) bool {
			n := &st.nodes[i]
			return (!sp.honorAffinity || st.affinityMatches(i, spec)) && (!sp.honorTaints || tolerates(n, spec.Tolerations))
		}
		ns := wl.ns
		c := st.counterFor(sp, sp.key, func(pns string, l map[string]string, _ int32) bool { return pns == ns && sp.sel.Matches(labelSet(l)) }, nodeOK)
		m, _ := sm.spreadMin(c, sp)
		r.spread = append(r.spread, c)
		r.spreadMin = append(r.spreadMin, m)
		r.spreadSelf = append(r.spreadSelf, sp.sel.Matches(labelSet(wl.labels)))
	}
	return r
}

// interPod is why the inter-pod rules reject node i ("" if they pass),
// in the scheduler's order: topology spread, then inter-pod affinity.
func (sm *sim) interPod(w int32, i int32, r *rules) string {
	wl := &sm.st.workloads[w]
	for k, c := range r.spread {
		n, ok := sm.count(c, i)
		if !ok || (c.nodeOK != nil && !c.nodeOK(i)) {
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
		for _, i := range nodes[k:] {
			if st.base[int(i)*R] < wl.req[0] {
				break
			}
			if !sm.lost[i] && sm.short(i, wl.req) < 0 {
				return i
			}
		}
		return -1
	}
	r := sm.rulesFor(w)
	best := int32(-1)
	for _, i := range nodes {
		if sm.lost[i] || sm.reject(w, i, r) != "" {
			continue
		}
		// The scheduler spreads a workload's pods (its default soft
		// topology spread) and favours the least allocated node.
		if best < 0 || sm.better(w, i, best) {
			best = i
		}
	}
	return best
}

// better: node a is preferred to b for a pod of w (fewer of its pods in
// the zone, then on the node, then more free CPU).
func (sm *sim) better(w, a, b int32) bool {
	za, zb := sm.same(w, a, true), sm.same(w, b, true)
	if za != zb {
		return za < zb
	}
	na, nb := sm.same(w, a, false), sm.same(w, b, false)
	if na != nb {
		return na < nb
	}
	R := len(sm.st.res)
	return sm.free[int(a)*R] > sm.free[int(b)*R]
}

// same counts w's pods in node i's zone (or on it).
func (sm *sim) same(w, i int32, zone bool) int {
	key := "kubernetes.io/hostname"
	if zone {
		key = "topology.kubernetes.io/zone"
	}
	c := sm.st.counterFor(sameKey{w, zone}, key, func(_ string, _ map[string]string, x int32) bool { return x == w }, nil)
	n, _ := sm.count(c, i)
	return n
}

type sameKey struct {
	w    int32
	zone bool
}

// why tallies, over every node not lost, the first filter that rejects a
// pod of w; the reason rejecting the most nodes is the pod's.
func (sm *sim) why(w int32, r *rules) string {
	st := sm.st
	wl := &st.workloads[w]
	if r == nil && wl.constrained {
		r = sm.rulesFor(w)
	}
	if r == nil {
		r = &rules{}
	}
	tally := map[string]int{}
	for i := range st.nodes {
		if sm.lost[i] {
			if st.drain {
				tally[ReasonNodeUnschedulable]++ // cordoned by the drain
			}
			continue
		}
		reason := st.classReasons[wl.class][i]
		if reason == "" {
			reason = sm.reject(w, int32(i), r)
		}
		if reason != "" {
			tally[reason]++
		}
	}
	best, most := ReasonNoNodes, 0
	for _, reason := range reasonOrder(st) {
		if tally[reason] > most {
			best, most = reason, tally[reason]
		}
	}
	return best
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
	sm.change(i, wl.ns, wl.labels, w, 1)
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
			tied = nil
		case top == bestTop && sum == bestSum && len(kept) == len(bestVictims):
			tied = append(tied, alike...)
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
	var recreate []int32
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
	for _, i := range lost {
		for _, m := range st.movers[i] {
			queue = append(queue, m.workload)
		}
	}
	d := Domain{Name: name, Pods: len(queue)}
	queue = append(queue, st.pending...)
	first := st.run(lost, queue, bySize(st, false))
	outcome := first
	switch n := distinct(queue); {
	case first.failed == 0 || n == 1:
	case n <= maxOrderChecks:
		// Among pods of one priority the scheduler takes them in the
		// order controllers re-create them, which nothing here knows. A
		// workload's fate is decided when it is the same with its pods
		// queued first (its best case) and last (its worst).
		for w, o := range first.byWorkload {
			best := st.run(lost, queue, placing(w, true)).byWorkload[w]
			worst := st.run(lost, queue, placing(w, false)).byWorkload[w]
			if best.failed != worst.failed {
				o.undecided = o.failed + o.placedOK
			} else {
				o.failed, o.placedOK, o.reason = worst.failed, worst.placedOK, worst.reason
			}
			outcome.byWorkload[w] = o
		}
	default:
		// Too many workloads to try each first and last: the ones whose
		// fate differs between largest-first and smallest-first are
		// undecided, and the rest may be too (said in the docs).
		second := st.run(lost, queue, bySize(st, true))
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
	d.Preempted = outcome.preempted
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
}

type runResult struct {
	byWorkload map[int32]fate
	failed     int
	preempted  int
	ambiguous  []int32
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
	// full marks the unconstrained workloads a pod of which found no
	// node: capacity only shrinks until a preemption frees some, so their
	// next pods need no search.
	full := map[int32]bool{}
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
				if !st.workloads[w].constrained {
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
		q, failedQ = again, still
	}
	// Reasons against the final state, as the scheduler's last attempt
	// at each pending pod reports them; unconstrained workloads of one
	// class and request share theirs.
	type whyKey struct {
		class int32
		req   string
	}
	shared := map[whyKey]string{}
	for w, f := range res.byWorkload {
		if f.failed == 0 {
			continue
		}
		wl := &st.workloads[w]
		if wl.constrained {
			f.reason = sm.why(w, nil)
		} else {
			k := whyKey{wl.class, fmt.Sprint(wl.req)}
			if _, ok := shared[k]; !ok {
				shared[k] = sm.why(w, nil)
			}
			f.reason = shared[k]
		}
		res.byWorkload[w] = f
	}
	res.ambiguous = sm.ambiguous
	sm.done()
	return res
}

func labelSet(l map[string]string) labels.Set { return labels.Set(l) }
