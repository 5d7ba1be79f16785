package capacity

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
)

// simulate re-homes the pods of the lost nodes in the scheduler's queue
// order (priority, then, among equals, largest request first), then
// again with each workload's pods first and last, and with every pod on
// the most allocated fitting node instead of the least: a workload whose
// fate differs between those runs is undecided.
func (st *state) simulate(name string, lost []int32) Domain {
	queue, spending := st.lossQueue(lost)
	ls := lossSim{st: st, lost: lost, spending: spending, d: Domain{Name: name, Pods: len(queue)}}
	if len(spending) == 0 && !noShortcut && st.surelyPlaced(lost, queue) {
		shortcuts.Add(1)
		return ls.d // every order and node choice places them all
	}
	ls.queue = append(queue, st.pending...)
	ls.queueOrders()
	ls.nodeChoice()
	ls.priorities()
	ls.drainOverlap()
	ls.budgets()
	ls.preemptionTies()
	ls.tally()
	ls.certainStranded()
	ls.refusedUnblocked()
	return ls.sorted()
}

// lossQueue is the pods of the lost nodes to re-home, by workload, and
// per PDB budget the drained pods that spend it, by workload.
func (st *state) lossQueue(lost []int32) ([]int32, map[int32]map[int32]int) {
	var queue []int32
	var spending map[int32]map[int32]int // made on first use: most losses spend no budget
	for _, i := range lost {
		for _, m := range st.movers[i] {
			r := &st.residents[i][m.from]
			if st.drain && r.refused {
				continue // the drain waits on it: it stays
			}
			if st.drain && r.budget >= 0 {
				if spending == nil {
					spending = map[int32]map[int32]int{}
				}
				if spending[r.budget] == nil {
					spending[r.budget] = map[int32]int{}
				}
				spending[r.budget][m.workload]++
			}
			queue = append(queue, m.workload)
		}
	}
	return queue, spending
}

// lossSim is one loss's simulation: the runs tried and what they decide.
type lossSim struct {
	st       *state
	lost     []int32
	queue    []int32
	spending map[int32]map[int32]int
	d        Domain
	// first is the scheduler's order; outcome starts as first (sharing
	// its per-workload map) and collects the verdicts; second is
	// smallest first.
	first, second, outcome runResult
	// least is the fewest pods left without a place in any order tried:
	// that many find none whichever order the scheduler meets them in.
	least int
}

// queueOrders runs the queue largest first, smallest first and, where a
// run strands pods, with each workload's pods first and last.
func (ls *lossSim) queueOrders() {
	st, lost, queue := ls.st, ls.lost, ls.queue
	ls.first = st.run(lost, queue, bySize(st, false))
	ls.outcome = ls.first
	ls.least = st.certain(ls.first)
	n := distinct(queue)
	if n > 1 {
		// Smallest first too, always: which pods meet the room first
		// decides who else fits, even where largest first places all.
		ls.second = st.counted(lost, queue, bySize(st, true))
		ls.least = min(ls.least, st.certain(ls.second))
	}
	if n > 1 && n <= maxOrderChecks && (ls.first.failed > 0 || ls.second.failed > 0) {
		// Among pods of one priority the scheduler takes them in the
		// order controllers re-create them, which nothing here knows. A
		// workload's fate is decided when it is the same with its pods
		// queued first (its best case) and last (its worst).
		for w, o := range ls.first.byWorkload {
			bestRun, worstRun := st.counted(lost, queue, placing(w, true)), st.run(lost, queue, placing(w, false))
			ls.least = min(ls.least, st.certain(bestRun), st.certain(worstRun))
			best, worst := bestRun.byWorkload[w], worstRun.byWorkload[w]
			if best.failed != worst.failed {
				o.undecided = o.failed + o.placedOK
			} else {
				o.failed, o.placedOK, o.reason, o.filters = worst.failed, worst.placedOK, worst.reason, worst.filters
			}
			ls.outcome.byWorkload[w] = o
		}
	}
	if n > 1 {
		// Largest first and smallest first ending differently: undecided
		// (with too many workloads to try each first and last, the rest
		// may be too: said in the docs).
		for w, o := range ls.outcome.byWorkload {
			if o.undecided == 0 && ls.first.byWorkload[w].failed != ls.second.byWorkload[w].failed {
				o.undecided = o.failed + o.placedOK
				ls.outcome.byWorkload[w] = o
			}
		}
	}
}

// undecide makes undecided, for why, every workload whose fate differs in
// other.
func (ls *lossSim) undecide(other runResult, why string) {
	ls.least = min(ls.least, ls.st.certain(other))
	for w, o := range ls.outcome.byWorkload {
		if o.undecided == 0 && o.failed != other.byWorkload[w].failed {
			o.undecided = o.failed + o.placedOK
			o.undecidedWhy = why
			ls.outcome.byWorkload[w] = o
		}
	}
}

// nodeChoice: the scheduler's scores (the simulation approximates them:
// least allocated, then spreading) and its random tie-break choose among
// fitting nodes; a workload whose fate changes when every placement takes
// the most allocated fitting node instead hangs on that choice. Both
// orders: which pods meet the most allocated nodes first matters.
func (ls *lossSim) nodeChoice() {
	st := ls.st
	st.mostAllocated = true
	ls.undecide(st.counted(ls.lost, ls.queue, bySize(st, false)), UnknownNodeChoice)
	if distinct(ls.queue) > 1 {
		ls.undecide(st.counted(ls.lost, ls.queue, bySize(st, true)), UnknownNodeChoice)
	}
	st.mostAllocated = false
}

// priorities: the scheduler's queue puts higher priorities first only
// among pods it holds at once: replacements created a moment apart are
// placed as they come, and a later, higher-priority one preempts. A
// workload whose fate changes when the lowest come first is undecided.
func (ls *lossSim) priorities() {
	st := ls.st
	if st.samePriority {
		return
	}
	st.lowFirst = true
	low := st.counted(ls.lost, ls.queue, bySize(st, false))
	st.lowFirst = false
	ls.undecide(low, UnknownOrder)
	// Pods of lower priority placed first become candidate victims of
	// the later ones: which of them go is the scheduler's choice.
	ls.first.ambiguous = append(ls.first.ambiguous, low.ambiguous...)
}

// drainOverlap: a drain's evictions and the replacements' scheduling
// overlap: a replacement may be placed while pods it is counted with
// (spread, affinity) still run on the draining node. Workloads whose fate
// differs with those pods still there are undecided.
func (ls *lossSim) drainOverlap() {
	st := ls.st
	if !st.drain || !st.anyConstrained {
		return
	}
	st.drainPresent = true
	present := st.counted(ls.lost, ls.queue, bySize(st, false))
	st.drainPresent = false
	for w, o := range ls.outcome.byWorkload {
		if o.undecided == 0 && o.failed != present.byWorkload[w].failed {
			o.undecided = o.failed + o.placedOK
			o.undecidedWhy = UnknownDrainOrder
			ls.outcome.byWorkload[w] = o
		}
	}
}

// budgets: a drain evicts a PDB's pods while its budget lasts; a
// replacement that finds no place never gives its share back. More such
// pods than the budget: the drain hangs with the rest still on the node,
// and what their replacements would have taken elsewhere stays free (the
// others' fate is then open). As many as the budget: it hangs or not by
// which pod goes last.
func (ls *lossSim) budgets() {
	d, outcome := &ls.d, ls.outcome
	for b, byWorkload := range ls.spending {
		evicted, stranded, placedAny := 0, 0, false
		for w, n := range byWorkload {
			evicted += n
			stranded += outcome.byWorkload[w].failed
			placedAny = placedAny || outcome.byWorkload[w].placedOK > 0
		}
		allowed := ls.st.budgets[b].allowed
		switch {
		case evicted <= allowed || stranded < allowed:
		case stranded > allowed:
			d.Hangs = true
			d.HangsOn = append(d.HangsOn, ls.st.budgets[b].name)
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
}

// preemptionTies: a preemption had equally good nodes (the scheduler
// picks by start times): run again taking the last of them each time, and
// what differs is undecided, as is every workload a preemption left
// ambiguous.
func (ls *lossSim) preemptionTies() {
	st := ls.st
	if ls.first.tie {
		st.lastTie = true
		other := st.counted(ls.lost, ls.queue, bySize(st, false))
		st.lastTie = false
		for w, o := range ls.first.byWorkload {
			if o.failed != other.byWorkload[w].failed {
				ls.first.ambiguous = append(ls.first.ambiguous, w)
			}
		}
		ls.first.ambiguous = append(ls.first.ambiguous, other.ambiguous...)
	}
	for _, w := range ls.first.ambiguous {
		o := ls.outcome.byWorkload[w]
		o.undecided = max(o.failed+o.placedOK, 1)
		o.undecidedWhy = UnknownPreemption
		ls.outcome.byWorkload[w] = o
	}
}

// tally turns the verdicts into the domain's stranded, undecided and
// unblocked workloads. Pods that wait without the loss too are not its
// doing; fewer waiting after it are pods the loss lets in (a spread or
// anti-affinity rule its pods kept unmet).
func (ls *lossSim) tally() {
	st, d := ls.st, &ls.d
	base := st.waiting()
	for w, o := range ls.outcome.byWorkload {
		wl := &st.workloads[w]
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
}

// certainStranded: pods certain to find no place though which ones is
// undecided go in the count (under the reason most undecided pods have)
// and out of the unknown.
func (ls *lossSim) certainStranded() {
	st, d := ls.st, &ls.d
	baseTotal := 0
	for w, n := range st.waiting() {
		if st.workloads[w].unknown == "" {
			baseTotal += n
		}
	}
	extra := ls.least - baseTotal - d.Unschedulable
	if extra <= 0 || d.Hangs {
		return
	}
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

// refusedUnblocked: a PDB refusing a pod now may allow it once the drain
// lets the workload's pending pods in (they become ready, the budget
// comes back): whether the drain waits on it forever is then open, and so
// is the workload's fate (the pod evicted then needs a place too, perhaps
// the one its pending pod just took).
func (ls *lossSim) refusedUnblocked() {
	st, d := ls.st, &ls.d
	if !st.drain || len(d.Unblocked) == 0 {
		return
	}
	unblocked := map[string]bool{}
	for _, u := range d.Unblocked {
		unblocked[u.Workload] = true
	}
	refused := map[string]int{}
	for _, i := range ls.lost {
		for _, r := range st.residents[i] {
			if r.refused && r.workload >= 0 && unblocked[st.workloads[r.workload].name] {
				d.HangUnknown = true
				refused[st.workloads[r.workload].name]++
			}
		}
	}
	kept := d.Unblocked[:0]
	for _, u := range d.Unblocked {
		if n := refused[u.Workload]; n > 0 {
			d.add(&d.Unknown, &d.UnknownReasons, &d.Undecided, u.Workload, u.Pods+n, UnknownDrainOrder)
			continue
		}
		kept = append(kept, u)
	}
	d.Unblocked = kept
}

// sorted reports one workload simulated as several (pods its volumes pin
// apart) once, the most stranded first, and at most maxStranded of each.
func (ls *lossSim) sorted() Domain {
	d := ls.d
	d.Stranded, d.Undecided, d.Unblocked = byName(d.Stranded), byName(d.Undecided), byName(d.Unblocked)
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

// byName merges the entries of one workload: pods summed, the reason
// of the most pods, every filter.
func byName(list []Stranded) []Stranded {
	if len(list) < 2 {
		return list
	}
	at := map[string]int{}
	most := map[string]int{}
	var out []Stranded
	for _, e := range list {
		k, seen := at[e.Workload]
		if !seen {
			at[e.Workload] = len(out)
			most[e.Workload] = e.Pods
			out = append(out, e)
			continue
		}
		m := &out[k]
		m.Pods += e.Pods
		if e.Pods > most[e.Workload] {
			m.Reason, most[e.Workload] = e.Reason, e.Pods
		}
		for _, f := range e.Filters {
			if !slices.Contains(m.Filters, f) {
				m.Filters = append(m.Filters, f)
			}
		}
		slices.Sort(m.Filters)
	}
	return out
}

// certain counts a run's pods left without a place, but those of
// workloads whose fate is unknown whatever the run says.
func (st *state) certain(r runResult) int {
	n := 0
	for w, f := range r.byWorkload {
		if st.workloads[w].unknown == "" {
			n += f.failed
		}
	}
	return n
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
			for w, f := range st.counted(nil, st.pending, bySize(st, false)).byWorkload {
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

// counted is run for the pods left without a place only, not why (the
// runs that check another order or node choice compare counts; a
// reason costs a pass over every node).
func (st *state) counted(lost []int32, queue []int32, tie func(a, b int32) int) runResult {
	st.counting = true
	defer func() { st.counting = false }()
	return st.run(lost, queue, tie)
}

// run places queue (workload per pod) after the loss of lost.
func (st *state) run(lost []int32, queue []int32, tie func(a, b int32) int) runResult {
	sm := st.newSim(lost)
	q := st.ordered(queue, tie)
	r := runner{st: st, sm: sm, res: runResult{byWorkload: make(map[int32]fate, min(len(q), len(st.workloads)))},
		full: map[int32]bool{}, why: reasonCache{sm: sm, shared: map[whyKey]reasons{}, lastOf: map[int32]lastWhy{}}}
	sm.minReq = nil
	for _, w := range q {
		sm.lower(w)
	}
	sm.startCounters(q)
	for pass := 0; ; pass++ {
		placed, preempted := r.pass(q)
		if !placed || pass == maxRetryPasses {
			break
		}
		if q = r.retry(preempted); len(q) == 0 {
			break
		}
	}
	r.res.ambiguous, r.res.tie = sm.ambiguous, sm.tie
	sm.done()
	return r.res
}

// ordered is queue in the scheduler's order: priority (highest first,
// or lowest with lowFirst), then tie.
func (st *state) ordered(queue []int32, tie func(a, b int32) int) []int32 {
	q := slices.Clone(queue)
	slices.SortStableFunc(q, func(a, b int32) int {
		if st.lowFirst {
			return cmp.Or(cmp.Compare(st.workloads[a].priority, st.workloads[b].priority), tie(a, b))
		}
		return cmp.Or(cmp.Compare(st.workloads[b].priority, st.workloads[a].priority), tie(a, b))
	})
	return q
}

// lower makes minReq no larger than w's request.
func (sm *sim) lower(w int32) {
	req := sm.st.workloads[w].req
	if sm.minReq == nil {
		sm.minReq = slices.Clone(req)
	}
	for j, v := range req {
		sm.minReq[j] = min(sm.minReq[j], v)
	}
}

// startCounters starts every counter the queued pods read before any is
// placed: a counter started later must replay every placement so far.
func (sm *sim) startCounters(q []int32) {
	seen := map[int32]bool{}
	for _, w := range q {
		if seen[w] || !sm.st.workloads[w].constrained {
			continue
		}
		seen[w] = true
		r := sm.rulesFor(w)
		zone, host := sm.sameCounters(w)
		for _, cs := range [][]*counter{r.anti, r.affinity, r.symmetric, r.spread, r.attract, {zone, host}} {
			for _, c := range cs {
				if c != nil {
					sm.deltaOf(c)
				}
			}
		}
	}
}

// runner is one run's placement loop.
type runner struct {
	st  *state
	sm  *sim
	res runResult
	// full marks the unconstrained workloads a pod of which found no
	// node: capacity only shrinks until a preemption frees some, so their
	// next pods need no search.
	full map[int32]bool
	why  reasonCache
	// The scheduler tries a pod it could not place again when the
	// cluster changes in a way that may let it in: a pod placed (pod
	// affinity, spread) or evicted (any filter). failedQ holds those pods.
	failedQ []int32
}

// pass places the pods of q in order, re-queueing preemption victims;
// it reports whether any pod was placed and any preempted.
func (r *runner) pass(q []int32) (placed, preempted bool) {
	st, sm := r.st, r.sm
	for len(q) > 0 {
		w := q[0]
		q = q[1:]
		f := r.res.byWorkload[w]
		i := int32(-1)
		if !r.full[w] {
			i = sm.place(w)
		}
		if i >= 0 {
			sm.take(w, i)
			r.why.changes++
			f.placedOK++
			placed = true
		} else if recreate, n, ok := sm.preempt(w); ok {
			r.why.changes++
			clear(r.full)
			clear(sm.skip)
			f.placedOK++
			r.res.preempted += n
			placed, preempted = true, true
			q = r.requeue(q, recreate)
		} else {
			f.failed++
			r.res.failed++
			r.failedQ = append(r.failedQ, w)
			// The reason as of this attempt: the scheduler reports its
			// last attempt, and tries a pod again only on changes that
			// may help it (as the retry passes do).
			if !st.counting {
				f.reason, f.filters = r.why.at(w)
			}
			// Capacity, anti-affinity and host ports only tighten as
			// pods are placed: the next pod of w fails too, unless a
			// spread's minimum or a pod to sit beside can still come.
			if wl := &st.workloads[w]; len(wl.spread) == 0 && len(wl.affinity) == 0 {
				r.full[w] = true
			}
		}
		r.res.byWorkload[w] = f
	}
	return placed, preempted
}

// requeue queues a preemption's victims, re-created: behind pods of
// higher priority (last of all with lowFirst).
func (r *runner) requeue(q []int32, recreate []int32) []int32 {
	st := r.st
	for _, v := range recreate {
		r.sm.lower(v)
		if st.lowFirst {
			q = append(q, v) // they come last
			continue
		}
		at, _ := slices.BinarySearchFunc(q, v, func(x, t int32) int {
			if c := cmp.Compare(st.workloads[t].priority, st.workloads[x].priority); c != 0 {
				return c
			}
			return -1
		})
		q = slices.Insert(q, at, v)
	}
	return q
}

// retry is the failed pods tried again in the next pass: those a
// placement may help (constrained ones) or, after a preemption, all.
func (r *runner) retry(preempted bool) []int32 {
	var again, still []int32
	for _, w := range r.failedQ {
		if r.st.workloads[w].constrained || preempted {
			again = append(again, w)
			f := r.res.byWorkload[w]
			f.failed--
			r.res.byWorkload[w] = f
			r.res.failed--
		} else {
			still = append(still, w)
		}
	}
	if len(again) > 0 {
		clear(r.why.shared)
		r.failedQ = still
	}
	return again
}

// reasonCache keeps why pods found no place. Unconstrained workloads of
// one class and request share their reason within a pass (nothing they
// read changes but capacity, which only shrinks); a constrained
// workload's reason holds until something is placed or evicted, so its
// pods failing one after another share it.
type reasonCache struct {
	sm *sim
	// changes counts placements and evictions so far.
	changes int
	shared  map[whyKey]reasons
	lastOf  map[int32]lastWhy
}

type whyKey struct {
	class int32
	req   string
}

type reasons struct {
	main    string
	filters []string
}

type lastWhy struct {
	at int
	reasons
}

// at is why a pod of w finds no place now.
func (c *reasonCache) at(w int32) (string, []string) {
	wl := &c.sm.st.workloads[w]
	if wl.constrained {
		if l, ok := c.lastOf[w]; ok && l.at == c.changes {
			return l.main, l.filters
		}
		main, filters := c.sm.why(w, nil)
		c.lastOf[w] = lastWhy{c.changes, reasons{main, filters}}
		return main, filters
	}
	k := whyKey{wl.class, fmt.Sprint(wl.req)}
	if _, ok := c.shared[k]; !ok {
		main, filters := c.sm.why(w, nil)
		c.shared[k] = reasons{main, filters}
	}
	return c.shared[k].main, c.shared[k].filters
}

// maxShortcutMisses bounds the nodes surelyPlaced looks at that cannot
// hold a pod, per workload.
const maxShortcutMisses = 32

// noShortcut turns surelyPlaced off, and shortcuts counts the losses it
// settled (tests compare with and without).
var (
	noShortcut bool
	shortcuts  atomic.Int64
)

// surelyPlaced: each queued pod finds a node whatever order the scheduler
// meets the others in and whichever fitting nodes it gives them, so no
// run can end otherwise. For a pod, the others must fill every node that
// fits it; filling node n takes at least k(n) of them (its room beyond
// the pod's request over the largest other request, in the tightest
// resource), so more k than other pods leaves one free. Only for pods
// that inter-pod rules, host ports, volumes and unknowns leave alone,
// with nothing pending (which fits before and after is the run's
// business): at scale, most single nodes' losses.
func (st *state) surelyPlaced(lost []int32, queue []int32) bool {
	if len(st.pending) > 0 || len(queue) == 0 {
		return len(queue) == 0 && len(st.pending) == 0
	}
	R := len(st.res)
	largest := make([]int64, R)
	for _, w := range queue {
		wl := &st.workloads[w]
		if wl.constrained || wl.unknown != "" || wl.volumeNodes != nil {
			return false
		}
		for j, v := range wl.req {
			largest[j] = max(largest[j], v)
		}
	}
	if st.lost == nil {
		st.lost = make([]bool, len(st.nodes))
	}
	for _, i := range lost {
		st.lost[i] = true
	}
	defer func() {
		for _, i := range lost {
			st.lost[i] = false
		}
	}()
	others := len(queue) - 1
	checked := map[int32]bool{}
	// Workloads of one class asking the same get the same answer: at
	// scale most share a few shapes, and a zone's loss queues thousands.
	settled := map[int32][][]int64{}
	for _, w := range queue {
		if checked[w] {
			continue
		}
		checked[w] = true
		wl := &st.workloads[w]
		if slices.ContainsFunc(settled[wl.class], func(r []int64) bool { return slices.Equal(r, wl.req) }) {
			continue
		}
		if !st.roomFor(wl, largest, others) {
			return false
		}
		if len(settled[wl.class]) < maxSettledShapes {
			settled[wl.class] = append(settled[wl.class], wl.req)
		}
	}
	return true
}

// maxSettledShapes bounds the requests remembered per class.
const maxSettledShapes = 16

// roomFor: the nodes wl's class may use, minus the lost ones (st.lost),
// hold one of its pods however the others (no larger than largest, no
// more than others) are placed.
func (st *state) roomFor(wl *workload, largest []int64, others int) bool {
	R := len(st.res)
	req := wl.req
	blockers, misses := 0, 0
	for _, i := range st.classes[wl.class] {
		if st.base[int(i)*R] < req[0] {
			return false // by free CPU, most first: none further fits
		}
		if st.lost[i] {
			continue
		}
		k, fits := -1, true
		for j := range R {
			free := st.base[int(i)*R+j]
			if free < req[j] {
				fits = false
				break
			}
			if largest[j] > 0 {
				if kj := int((free-req[j])/largest[j]) + 1; k < 0 || kj < k {
					k = kj
				}
			}
		}
		if !fits {
			// Nodes short of something other than CPU: past a few,
			// the runs decide (a full cluster would make this a scan
			// of every node for every workload of every loss).
			if misses++; misses > maxShortcutMisses {
				return false
			}
			continue
		}
		if k < 0 {
			return true // no other pod takes what it needs
		}
		if blockers += k; blockers > others {
			return true
		}
	}
	return false
}
