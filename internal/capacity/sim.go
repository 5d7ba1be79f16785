package capacity

import "slices"

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
	// rulesBuf holds rulesFor's answer.
	rulesBuf rules
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
	return resident{workload: w, priority: wl.priority, matchable: true, ns: wl.ns, labels: wl.labels, req: wl.req, ports: wl.ports, budget: -1}
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
