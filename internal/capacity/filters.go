package capacity

import "slices"

// rules are one workload's counters for a placement attempt.
type rules struct {
	anti, affinity []*counter
	affinityAny    []bool // the term selects some pod anywhere
	affinitySelf   []bool // the pod matches its own term
	symmetric      []*counter
	spread         []*counter
	spreadMin      []int
	spreadSelf     []bool
	// attract count, per term selecting the pod, the pods carrying it
	// (scoring only).
	attract []*counter
}

// attractKey identifies an attraction counter (an antiKey into the
// owner's affinity terms).
type attractKey antiKey

// rulesFor is w's rules now. The result is only good until the next
// call: one buffer serves them all (a copy per pod placed was a third of
// an analysis' garbage on a constrained cluster), and no caller holds
// one across another.
func (sm *sim) rulesFor(w int32) *rules {
	st := sm.st
	fixed := st.rulesOf(w)
	r := &sm.rulesBuf
	anyBuf, minBuf := r.affinityAny[:0], r.spreadMin[:0]
	*r = *fixed
	r.affinityAny = slices.Grow(anyBuf, len(r.affinity))[:len(r.affinity)]
	for k, c := range r.affinity {
		total := c.base.sum() + sm.deltaOf(c).sum()
		r.affinityAny[k] = total > 0
	}
	r.spreadMin = slices.Grow(minBuf, len(r.spread))[:len(r.spread)]
	for k, c := range r.spread {
		r.spreadMin[k], _ = sm.spreadMin(c, st.workloads[w].spread[k])
	}
	return r
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
	for _, key := range wl.attractedBy {
		t := &st.workloads[key.owner].affinity[key.term]
		owner := int32(key.owner)
		r.attract = append(r.attract, st.counterFor(attractKey(key), t.key, func(_ string, _ map[string]string, w int32) bool { return w == owner }, nil, byOwner(owner)))
	}
	for _, sp := range wl.spread {
		spec := wl.spec
		affinity := st.affinityMatcher(spec)
		nodeOK := func(i int32) bool {
			n := &st.nodes[i]
			return (!sp.honorAffinity || affinity(i)) && (!sp.honorTaints || tolerates(n, spec.Tolerations))
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
	if wl.volumeNodes != nil && !wl.volumeNodes[i] {
		return ReasonVolumeZone
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
	if wl.volumeNodes != nil && !wl.volumeNodes[i] {
		out[ReasonVolumeZone] = true
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
	return append(out, ReasonVolumeZone, ReasonTopologySpread, ReasonPodAntiAffinity, ReasonPodAffinity, ReasonHostPort,
		ReasonNodeAffinity, ReasonTaint, ReasonNodeUnschedulable)
}

// fitsOn: a pod of w passes every filter on node i now.
func (sm *sim) fitsOn(w, i int32) bool {
	r := &rules{}
	if sm.st.workloads[w].constrained {
		r = sm.rulesFor(w)
	}
	return sm.reject(w, i, r) == ""
}
