package capacity

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// place finds a node for a pod of w, or -1 (why says why).
func (sm *sim) place(w int32) int32 {
	st := sm.st
	wl := &st.workloads[w]
	nodes := st.classes[wl.class]
	R := len(st.res)
	// Nodes by free CPU before the loss, most first: one with less than
	// the request now had less then too. Leading nodes that cannot hold
	// the smallest pod still queued stay skipped: free capacity only
	// shrinks until a preemption (which resets skip).
	k := sm.skip[wl.class]
	for k < len(nodes) && (sm.lost[nodes[k]] || sm.short(nodes[k], sm.minReq) >= 0) {
		k++
	}
	sm.skip[wl.class] = k
	if !wl.constrained {
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
			if st.mostAllocated {
				score = -score
			}
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
	var bestRank rank
	for _, i := range nodes[k:] {
		if !sm.freed && st.base[int(i)*R] < wl.req[0] {
			break // by free CPU before the loss, most first: none further fits
		}
		if sm.lost[i] || sm.reject(w, i, r) != "" {
			continue
		}
		// The scheduler spreads a workload's pods (its default soft
		// topology spread) and favours the least allocated node.
		if rk := sm.rankOf(r, zone, host, wl.req, i); best < 0 || rk.better(bestRank) {
			best, bestRank = i, rk
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

// rank is what orders the nodes that fit a pod of a constrained
// workload: more pods whose required affinity selects it in the node's
// domains (the scheduler's InterPodAffinity score, weighted above the
// others), then fewer of its pods in the zone, then on the node, then the
// least allocated (the most, in mostAllocated runs: score is negated).
type rank struct {
	attraction, zone, host int
	score                  float64
}

func (a rank) better(b rank) bool {
	if a.attraction != b.attraction {
		return a.attraction > b.attraction
	}
	if a.zone != b.zone {
		return a.zone < b.zone
	}
	if a.host != b.host {
		return a.host < b.host
	}
	return a.score > b.score
}

// rankOf ranks node i for a pod of the workload whose rules are r and
// own counters zone and host.
func (sm *sim) rankOf(r *rules, zone, host *counter, req []int64, i int32) rank {
	var rk rank
	if len(r.attract) > 0 {
		rk.attraction = sm.attraction(r, i)
	}
	rk.zone, _ = sm.count(zone, i)
	rk.host, _ = sm.count(host, i)
	rk.score = sm.leastAllocated(i, req)
	if sm.st.mostAllocated {
		rk.score = -rk.score
	}
	return rk
}

// attraction is how many pods whose required affinity selects the pod
// share a domain of their term with node i.
func (sm *sim) attraction(r *rules, i int32) int {
	n := 0
	for _, c := range r.attract {
		if k, ok := sm.count(c, i); ok {
			n += k
		}
	}
	return n
}

// sameCounters count w's own pods per zone and per node.
func (sm *sim) sameCounters(w int32) (zone, host *counter) {
	st := sm.st
	if st.same == nil {
		st.same = make([][2]*counter, len(st.workloads))
	}
	if c := st.same[w]; c[0] != nil {
		return c[0], c[1]
	}
	own := func(_ string, _ map[string]string, x int32) bool { return x == w }
	zone = st.counterFor(sameKey{w, true}, corev1.LabelTopologyZone, own, nil, byOwner(w))
	host = st.counterFor(sameKey{w, false}, corev1.LabelHostname, own, nil, byOwner(w))
	st.same[w] = [2]*counter{zone, host}
	return zone, host
}

type sameKey struct {
	w    int32
	zone bool
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
	var best, c preemption
	best.node = -1
	var tied []int32
	ties := 0
	for _, i := range st.classes[wl.class] {
		if sm.lost[i] {
			continue
		}
		var ok bool
		if c, ok = sm.victimsOn(w, i); !ok {
			continue
		}
		// The node: fewest PDBs violated, then the least important most
		// important victim, then the lowest sum, then the fewest victims.
		switch {
		case best.node < 0 || c.better(best):
			best = c
			tied, ties = nil, 0
		case c.equal(best):
			tied = append(tied, c.alike...)
			ties++
			if st.lastTie {
				best.node, best.victims, best.alike = c.node, c.victims, c.alike
			}
		}
	}
	if best.node < 0 {
		return nil, 0, false
	}
	if len(tied) > 0 {
		sm.ambiguous = append(append(sm.ambiguous, tied...), best.alike...)
	} else if len(best.alike) > 0 {
		sm.ambiguous = append(sm.ambiguous, best.alike...)
	}
	if ties > 0 {
		// Equally good nodes: where the pod goes decides what room the
		// pods of its priority and below find after it.
		sm.tie = true
	}
	var recreate []int32
	// Free capacity can now exceed what a node had before the loss.
	sm.freed = true
	for _, v := range best.victims {
		sm.remove(v)
		res := sm.podOf(v)
		if res.workload >= 0 && !st.workloads[res.workload].daemon {
			recreate = append(recreate, res.workload)
		}
	}
	sm.take(w, best.node)
	return recreate, len(best.victims), true
}

// preemption is a pod's preemption on one node: its victims and what the
// scheduler ranks nodes by.
type preemption struct {
	node       int32
	violations int
	top, sum   int64
	victims    []podRef
	// alike: workloads that could be the victims instead (see alike).
	alike []int32
}

func (c preemption) better(o preemption) bool {
	return c.violations < o.violations || (c.violations == o.violations && (c.top < o.top ||
		(c.top == o.top && (c.sum < o.sum || (c.sum == o.sum && len(c.victims) < len(o.victims))))))
}

func (c preemption) equal(o preemption) bool {
	return c.violations == o.violations && c.top == o.top && c.sum == o.sum && len(c.victims) == len(o.victims)
}

// victimsOn is the preemption of a pod of w on node i, where removing
// every lower-priority pod lets it pass every filter and some must go;
// the node is left as it was.
func (sm *sim) victimsOn(w int32, i int32) (preemption, bool) {
	st := sm.st
	wl := &st.workloads[w]
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
		return preemption{}, false
	}
	for _, v := range vs {
		sm.remove(v)
	}
	if !sm.fitsOn(w, i) {
		for _, v := range vs {
			sm.restore(v)
		}
		return preemption{}, false
	}
	slices.SortStableFunc(vs, func(a, b podRef) int { return cmp.Compare(sm.podOf(b).priority, sm.podOf(a).priority) })
	kept, violations := sm.reprieve(w, i, vs)
	slices.SortStableFunc(kept, func(a, b podRef) int { return cmp.Compare(sm.podOf(b).priority, sm.podOf(a).priority) })
	if len(kept) == 0 {
		return preemption{}, false // it fits without evicting anyone (place stopped early)
	}
	c := preemption{node: i, violations: violations, top: int64(kept[0].priorityIn(sm)), victims: kept}
	for _, v := range kept {
		c.sum += int64(v.priorityIn(sm))
		sm.restore(v)
	}
	// Which of several pods of one priority the scheduler evicts, and
	// which of equally good nodes it picks, turns on the pods' start
	// times, which the snapshot does not hold: every workload that could
	// be the victim instead is undecided.
	c.alike = sm.alike(vs, kept)
	return c, true
}

// reprieve puts back the candidate victims vs (removed, most important
// first) where a pod of w still fits on node i with them, and returns
// those that must go and how many of them violate their PDB. Most
// important first, each victim spends its PDB's allowed disruptions; one
// finding none left would violate it. Those are reprieved first, then the
// rest (the scheduler's order).
func (sm *sim) reprieve(w, i int32, vs []podRef) ([]podRef, int) {
	st := sm.st
	violates := make([]bool, len(vs))
	spent := map[int32]int{}
	for k, v := range vs {
		res := sm.podOf(v)
		if res.refused {
			violates[k] = true // its PDB allows none now
		} else if b := res.budget; b >= 0 {
			if spent[b] >= st.budgets[b].allowed {
				violates[k] = true
			} else {
				spent[b]++
			}
		}
	}
	var kept []podRef
	violations := 0
	for _, pass := range []bool{true, false} {
		for k, v := range vs {
			if violates[k] != pass {
				continue
			}
			sm.restore(v)
			if !sm.fitsOn(w, i) {
				sm.remove(v)
				kept = append(kept, v)
				if pass {
					violations++
				}
			}
		}
	}
	return kept, violations
}

func (p podRef) priorityIn(sm *sim) int32 { return sm.podOf(p).priority }

// alike lists the workloads whose pods the scheduler could evict instead
// of the chosen victims: every workload with a candidate pod at a chosen
// victim's priority, when more of them are candidates than victims, or
// when at some such priority more pods (of two workloads or more) could
// go than must. Among pods of one priority it reprieves the
// longest-running first, and start times are not in the snapshot (nor,
// for replacements, known before they run); and which of them goes
// changes what else must.
func (sm *sim) alike(potential, kept []podRef) []int32 {
	chosen := map[int32]int{}
	for _, v := range kept {
		chosen[v.priorityIn(sm)]++
	}
	candidates := map[int32]int{}
	workloads := map[int32][]int32{}
	var all []int32
	for _, v := range potential {
		res := sm.podOf(v)
		if _, ok := chosen[res.priority]; !ok || res.workload < 0 {
			continue
		}
		candidates[res.priority]++
		if !slices.Contains(workloads[res.priority], res.workload) {
			workloads[res.priority] = append(workloads[res.priority], res.workload)
		}
		if !slices.Contains(all, res.workload) {
			all = append(all, res.workload)
		}
	}
	if len(all) <= 1 {
		return nil // one workload: which of its pods goes does not matter
	}
	open := len(all) > len(kept)
	for p, n := range chosen {
		open = open || (len(workloads[p]) > 1 && candidates[p] > n)
	}
	if !open {
		return nil
	}
	slices.Sort(all)
	return all
}
