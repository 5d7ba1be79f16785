package capacity

import (
	"cmp"
	"encoding/json"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	corev1helpers "k8s.io/component-helpers/scheduling/corev1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/disruption"
)

// node is a node's capacity and what it holds before any loss.
type node struct {
	name, zone string
	labels     map[string]string
	taints     []corev1.Taint
	// target: new pods may be scheduled onto it (not cordoned, Ready).
	target bool
}

// resident is a pod the simulation accounts for on a node: it uses
// capacity, may match other pods' affinity and spread, and may be a
// preemption victim.
type resident struct {
	workload int32 // index into state.workloads; -1: none known
	priority int32
	// matchable: not terminating (affinity and spread count it).
	matchable bool
	ns        string
	labels    map[string]string
	req       []int64
	ports     []hostPort
	// refused: the eviction API refuses it now (a drain leaves it);
	// budget indexes the PDB budget its eviction spends (-1: none).
	refused bool
	budget  int32
}

// budget is a PodDisruptionBudget's disruptions allowed now.
type budget struct {
	name    string
	allowed int
}

// mover is a pod a controller re-creates when its node goes.
type mover struct {
	workload int32
	// index of the resident it replaces on its lost node.
	from int32
}

// workload is what the simulation reads of a workload's template.
type workload struct {
	name     string // namespace/Kind/name
	ns       string
	labels   map[string]string
	req      []int64
	class    int32
	priority int32
	// preempts: its pods may evict lower-priority pods.
	preempts bool
	ports    []hostPort
	anti     []term // required pod anti-affinity
	affinity []term // required pod affinity
	spread   []*spread
	// unknown, when set, is why its pods' fate cannot be known.
	unknown string
	// constrained: inter-pod rules or host ports decide where it goes, so
	// every candidate node is checked, not only the freest.
	constrained bool
	// daemon: a DaemonSet's (never re-created elsewhere).
	daemon bool
	// repelledBy: the required anti-affinity terms of other workloads (or
	// its own) that select its pods.
	repelledBy []antiKey
	// attractedBy: the required pod affinity terms of other workloads (or
	// its own) that select its pods: the scheduler prefers their domains.
	attractedBy []antiKey
	// volumeNodes, when set, are the nodes its pods' volumes can be
	// reached from (their claims' PersistentVolumes).
	volumeNodes []bool
	// spec is the template's pod spec (node affinity and tolerations),
	// shared with the snapshot.
	spec *corev1.PodSpec
}

type hostPort struct {
	ip, protocol string
	port         int32
}

type state struct {
	scratchPod corev1.Pod // podRequest's
	// same caches sameCounters, by workload.
	same [][2]*counter
	// spreadNodes shares spread constraints' counted nodes (countedNodes).
	spreadNodes map[any]countedNodes
	nodes       []node
	// res names the resources compared (cpu, memory, pods first);
	// alloc holds nodes' allocatable and base their free capacity after
	// the residents, len(nodes)*len(res) each, in that order.
	res         []corev1.ResourceName
	alloc, base []int64
	residents   [][]resident // by node
	movers      [][]mover    // by node
	workloads   []workload
	// classes hold, per eligibility class (node selector, affinity,
	// tolerations), the target nodes it may use, by free CPU, most first.
	classes   [][]int32
	classKeys map[string]int32
	// classReasons hold, per class and node, why the node-level filters
	// reject the node ("" for the class's nodes).
	classReasons [][]string
	// reasonNames: insufficient_<resource> per entry of res.
	reasonNames []string
	// deltaBuf is the simulations' counter deltas by counter id, all nil
	// between simulations (newSim, done).
	deltaBuf []*tally
	// free and lost are one simulation's working buffers (newSim).
	free []int64
	lost []bool
	// antiOwners are the workloads with required anti-affinity: their
	// pods repel incoming pods their terms select (symmetry).
	antiOwners []int32
	namespaces map[string]map[string]string // namespace labels
	// pending holds a workload per pod waiting for a node: the scheduler
	// tries them again beside the re-created pods. baseline is how many of
	// each workload's wait with no loss (made on first use).
	pending  []int32
	baseline map[int32]int
	// budgets are the PDB budgets drained pods' evictions spend.
	budgets []budget
	// drain: the lost nodes are cordoned and emptied, not gone (their
	// topology domains still count, DaemonSet pods stay).
	drain bool
	// drainPresent: a drain's evicted pods still count for the inter-pod
	// rules of the others (they go one by one); anyConstrained: some
	// workload has such rules or host ports.
	drainPresent, anyConstrained bool
	// lastTie: a preemption with equally good nodes takes the last.
	lastTie bool
	// mostAllocated: placements take the fitting node the scheduler's
	// score likes least (most allocated) instead of best: what differs
	// from the usual run hangs on the scheduler's node choice.
	mostAllocated bool
	// lowFirst: the queue takes lower priorities first (replacements
	// arriving in that order), not higher.
	lowFirst bool
	// counting: runs skip the reasons pods find no place (counted).
	counting bool
	// samePriority: every pod has one priority; no preemption.
	samePriority    bool
	unknownRequests int
	// counters are the per-domain pod counts inter-pod rules read,
	// made on first use (counterFor).
	counters map[any]*counter
	// keyIDs number the topology keys in use; domainOf[key][node] is the
	// node's domain (-1 without the key), domainN[key] how many.
	// rules hold each constrained workload's fixed rules (rulesOf).
	rules map[int32]*rules
	// byWorkload and byLabel index the residents for counterFor (made
	// on first use).
	byWorkload []pods
	byLabel    map[string]pods
	// Counters indexed for changeAdded: by owner workload, by a label
	// their selector requires, or neither; countersOf's cache.
	ownerCounters    map[int32][]*counter
	labelCounters    map[string][]*counter
	anyCounters      []*counter
	workloadCounters map[int32]*counterList
	keyIDs           map[string]int
	domainOf         [][]int32
	domainN          []int
}

func build(s *cluster.Snapshot) *state {
	st := &state{classKeys: map[string]int32{}, namespaces: map[string]map[string]string{}, counters: map[any]*counter{}, keyIDs: map[string]int{},
		ownerCounters: map[int32][]*counter{}, labelCounters: map[string][]*counter{}, workloadCounters: map[int32]*counterList{}}
	b := &builder{st: st, s: s, resIndex: map[corev1.ResourceName]int{}, budgets: map[string]int32{}, prio: map[int32]bool{}}
	b.resources()
	for _, ns := range s.Namespaces {
		st.namespaces[ns.Name] = ns.Labels
	}
	b.nodes()
	b.workloads()
	b.barePods()
	st.samePriority = len(b.prio) <= 1
	st.indexPodRules()
	b.capacity()
	return st
}

// builder is build's working state: indexes that are not needed once the
// state is built.
type builder struct {
	st       *state
	s        *cluster.Snapshot
	resIndex map[corev1.ResourceName]int
	// index is each node's position in st.nodes.
	index  map[string]int32
	placed map[*cluster.Pod]bool
	// What the eviction API would do with each pod a PDB covers (drains).
	evictions    map[*cluster.Pod]disruption.Eviction
	budgets      map[string]int32
	prio         map[int32]bool
	vols         *volumes
	statefulSets map[*metav1.ObjectMeta]*appsv1.StatefulSet
}

// resources lists the resources nodes offer, cpu, memory and pods first.
func (b *builder) resources() {
	st := b.st
	st.res = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods}
	for i, r := range st.res {
		b.resIndex[r] = i
	}
	for _, n := range b.s.Nodes {
		for r := range n.Status.Allocatable {
			if _, ok := b.resIndex[r]; !ok && r != corev1.ResourceStorage {
				b.resIndex[r] = len(st.res)
				st.res = append(st.res, r)
			}
		}
	}
}

// vector is a request as a resource vector, a pod slot included.
// Resources a pod requests that no node offers are added: the scheduler
// finds every node insufficient.
func (b *builder) vector(rl corev1.ResourceList) []int64 {
	st := b.st
	v := make([]int64, len(st.res))
	for r, q := range rl {
		i, ok := b.resIndex[r]
		if !ok {
			if q.IsZero() {
				continue
			}
			i = len(st.res)
			b.resIndex[r] = i
			st.res = append(st.res, r)
			v = append(v, 0)
		}
		if r == corev1.ResourceCPU {
			v[i] = q.MilliValue()
		} else {
			v[i] = q.Value()
		}
	}
	v[2] = 1 // a pod slot
	return v
}

// nodes lists the nodes and sizes their residents up front: appends
// growing 5,000 nodes' slices pod by pod were half of an analysis'
// garbage at 150k pods.
func (b *builder) nodes() {
	st, s := b.st, b.s
	b.index = make(map[string]int32, len(s.Nodes))
	for _, n := range s.Nodes {
		b.index[n.Name] = int32(len(st.nodes))
		st.nodes = append(st.nodes, node{name: n.Name, zone: nodeZone(n), labels: n.Labels, taints: n.Spec.Taints, target: schedulable(n)})
	}
	perNode := make([]int32, len(st.nodes))
	for _, p := range s.Pods {
		if i, ok := b.index[p.NodeName]; ok {
			perNode[i]++
		}
	}
	st.residents = make([][]resident, len(st.nodes))
	st.movers = make([][]mover, len(st.nodes))
	for i, n := range perNode {
		if n > 0 {
			st.residents[i] = make([]resident, 0, n)
			st.movers[i] = make([]mover, 0, n)
		}
	}
}

// workloads places every workload's pods on their nodes (or in the
// pending queue).
func (b *builder) workloads() {
	s := b.s
	b.placed = make(map[*cluster.Pod]bool, len(s.Pods))
	if len(s.PodDisruptionBudgets) > 0 {
		b.evictions = disruption.Analyze(s).Evictions
	}
	b.vols = newVolumes(s)
	b.statefulSets = make(map[*metav1.ObjectMeta]*appsv1.StatefulSet, len(s.StatefulSets))
	for _, ss := range s.StatefulSets {
		b.statefulSets[&ss.ObjectMeta] = ss
	}
	vector := b.vector // one method value for all, not one per workload
	ws := cluster.Workloads(s)
	// One per workload mostly (volume pins split a few): grown one by
	// one, this list copied ~15 MB per analysis at 150,000 pods.
	b.st.workloads = slices.Grow(b.st.workloads, len(ws))
	for _, w := range ws {
		b.workload(w, vector)
	}
}

// workload places one workload's pods. Its pods whose volumes pin them to
// different nodes (a StatefulSet's claims, one per pod, in several zones)
// are simulated as one workload per pin, reported under one name.
func (b *builder) workload(w *cluster.Workload, vector func(corev1.ResourceList) []int64) {
	st := b.st
	ids := map[string]int32{}
	var sts *appsv1.StatefulSet
	if w.Kind == cluster.KindStatefulSet {
		sts = b.statefulSets[w.Meta]
	}
	spec := &noSpec
	if w.Template != nil {
		spec = w.Template.Spec
	}
	unknownVolumes := false
	for _, p := range w.Pods {
		i, ok := b.index[p.NodeName]
		waiting := p.NodeName == "" && !p.Terminating && w.Kind != cluster.KindDaemonSet
		if (!ok && !waiting) || terminal(p) {
			continue
		}
		b.placed[p] = true
		key, pin, known := b.vols.pin(st, p.Namespace, claimNames(w, spec, sts, p.Name))
		unknownVolumes = unknownVolumes || !known
		id, seen := ids[key]
		if !seen {
			id = int32(len(st.workloads))
			ids[key] = id
			st.workloads = append(st.workloads, st.workloadOf(w, b.s, vector))
			st.workloads[id].priority = p.Priority
			if pin != nil {
				st.workloads[id].volumeNodes = pin
				st.workloads[id].constrained = true
			}
		}
		b.prio[p.Priority] = true
		if waiting {
			st.pending = append(st.pending, id)
			continue
		}
		r := b.reside(i, id, p)
		if w.Kind == cluster.KindDaemonSet || p.Terminating {
			continue // dies with its node; a terminating pod is gone already
		}
		st.movers[i] = append(st.movers[i], mover{workload: id, from: r})
	}
	if unknownVolumes {
		// A claim unbound or not read: where its pods may go is not
		// known, for any pod of the workload.
		for _, id := range ids {
			wl := &st.workloads[id]
			if wl.unknown == "" {
				wl.unknown = UnknownVolume
			}
			if wl.volumeNodes != nil {
				wl.volumeNodes = nil
				wl.constrained = len(wl.anti)+len(wl.affinity)+len(wl.spread)+len(wl.ports) > 0
			}
		}
	}
}

// reside puts pod p of workload id on node i, with what the eviction API
// would do with it; it returns its place among the node's residents.
func (b *builder) reside(i int32, id int32, p *cluster.Pod) int32 {
	st := b.st
	wl := &st.workloads[id]
	r := int32(len(st.residents[i]))
	st.residents[i] = append(st.residents[i], resident{
		workload: id, priority: p.Priority, matchable: !p.Terminating,
		ns: p.Namespace, labels: p.Labels, req: wl.req, ports: wl.ports, budget: -1,
	})
	ev, ok := b.evictions[p]
	if !ok {
		return r
	}
	res := &st.residents[i][r]
	res.refused = ev.Refused
	if ev.Budget != "" {
		bi, seen := b.budgets[ev.Budget]
		if !seen {
			bi = int32(len(st.budgets))
			b.budgets[ev.Budget] = bi
			st.budgets = append(st.budgets, budget{name: ev.Budget, allowed: ev.Allowed})
		}
		res.budget = bi
	}
	return r
}

// barePods places the pods no workload owns: they are not re-created.
func (b *builder) barePods() {
	st := b.st
	for _, p := range b.s.Pods {
		i, ok := b.index[p.NodeName]
		if !ok || b.placed[p] || terminal(p) {
			continue
		}
		b.prio[p.Priority] = true
		r := resident{workload: -1, priority: p.Priority, matchable: !p.Terminating, ns: p.Namespace, labels: p.Labels, budget: -1}
		if p.BareSpec != nil {
			r.req = b.vector(st.podRequest(p.BareSpec))
			r.ports = portsOf(p.BareSpec)
		} else {
			st.unknownRequests++
			r.req = b.vector(nil)
		}
		st.residents[i] = append(st.residents[i], r)
	}
}

// indexPodRules finds, for each workload, the other workloads' required
// pod anti-affinity terms that select it (it is kept off their domains:
// the rule is symmetric) and required pod affinity terms that select it
// (the scheduler scores their domains higher: InterPodAffinity,
// hardPodAffinityWeight). The terms are indexed by a label they require,
// so each workload checks only the terms that could select it (15,000
// workloads against every term would be quadratic).
func (st *state) indexPodRules() {
	var antiOwners []int
	for _, o := range st.antiOwners {
		antiOwners = append(antiOwners, int(o))
	}
	antiIndex, unindexed := st.termIndex(antiOwners, func(w *workload) []term { return w.anti })
	affIndex, affUnindexed := st.termIndex(nil, func(w *workload) []term { return w.affinity })
	for k := range st.workloads {
		wl := &st.workloads[k]
		selects := func(key antiKey) bool {
			return st.workloads[key.owner].affinity[key.term].matches(wl.ns, wl.labels)
		}
		wl.attractedBy = matching(wl.attractedBy, wl.labels, affIndex, affUnindexed, selects)
		wl.constrained = wl.constrained || len(wl.attractedBy) > 0
		st.anyConstrained = st.anyConstrained || wl.constrained
		repels := func(key antiKey) bool {
			return st.workloads[key.owner].anti[key.term].matches(wl.ns, wl.labels)
		}
		wl.repelledBy = matching(wl.repelledBy, wl.labels, antiIndex, unindexed, repels)
		wl.constrained = wl.constrained || len(wl.repelledBy) > 0
	}
}

// termIndex indexes the terms of owners (nil: every workload) by each
// label they require; terms that require none are listed apart.
func (st *state) termIndex(owners []int, terms func(*workload) []term) (map[string][]antiKey, []antiKey) {
	if owners == nil {
		for o := range st.workloads {
			owners = append(owners, o)
		}
	}
	index, unindexed := map[string][]antiKey{}, []antiKey(nil)
	for _, o := range owners {
		for t, tm := range terms(&st.workloads[o]) {
			key := antiKey{o, t}
			if ks := requiredLabels(tm.sel); ks != nil {
				for _, k := range ks {
					index[k] = append(index[k], key)
				}
			} else {
				unindexed = append(unindexed, key)
			}
		}
	}
	return index, unindexed
}

// matching appends to out the terms of index (by the labels) and
// unindexed, each once, in the order met, that match says select the
// workload.
func matching(out []antiKey, labels map[string]string, index map[string][]antiKey, unindexed []antiKey, match func(antiKey) bool) []antiKey {
	seen := map[antiKey]bool{}
	check := func(keys []antiKey) {
		for _, key := range keys {
			if seen[key] {
				continue
			}
			seen[key] = true
			if match(key) {
				out = append(out, key)
			}
		}
	}
	for l, v := range labels {
		check(index[l+"="+v])
	}
	check(unindexed)
	return out
}

// capacity computes allocatable and free capacity, now that every
// resource is known, and orders each class's nodes by free cpu.
func (b *builder) capacity() {
	st := b.st
	R := len(st.res)
	st.alloc = make([]int64, len(st.nodes)*R)
	for i, n := range b.s.Nodes {
		for r, q := range n.Status.Allocatable {
			j, ok := b.resIndex[r]
			if !ok {
				continue
			}
			if r == corev1.ResourceCPU {
				st.alloc[i*R+j] = q.MilliValue()
			} else {
				st.alloc[i*R+j] = q.Value()
			}
		}
	}
	for _, r := range st.res {
		st.reasonNames = append(st.reasonNames, reasonFor(r))
	}
	st.base = slices.Clone(st.alloc)
	for i, rs := range st.residents {
		for k := range rs {
			rs[k].req = st.widen(rs[k].req)
			for j, v := range rs[k].req {
				st.base[i*R+j] -= v
			}
		}
	}
	for k := range st.workloads {
		st.workloads[k].req = st.widen(st.workloads[k].req)
	}
	for _, nodes := range st.classes {
		slices.SortFunc(nodes, func(a, b int32) int {
			return cmp.Or(cmp.Compare(st.base[int(b)*R], st.base[int(a)*R]), cmp.Compare(a, b))
		})
	}
}

// widen pads a resource vector made before every resource was known.
func (st *state) widen(v []int64) []int64 {
	if len(v) < len(st.res) {
		v = append(v, make([]int64, len(st.res)-len(v))...)
	}
	return v
}

// noSpec stands for a workload without a template; never written.
var noSpec corev1.PodSpec

// workloadOf reads w's template.
func (st *state) workloadOf(w *cluster.Workload, s *cluster.Snapshot, vector func(corev1.ResourceList) []int64) workload {
	spec := &noSpec
	var tmplLabels map[string]string
	if w.Template != nil {
		spec, tmplLabels = w.Template.Spec, w.Template.Labels
	}
	out := workload{
		name: w.Meta.Namespace + "/" + w.Kind + "/" + w.Meta.Name, ns: w.Meta.Namespace,
		labels: tmplLabels, req: vector(st.podRequest(spec)), ports: portsOf(spec),
		preempts: spec.PreemptionPolicy == nil || *spec.PreemptionPolicy != corev1.PreemptNever,
		daemon:   w.Kind == cluster.KindDaemonSet, spec: spec,
	}
	out.class = st.classOf(spec)
	if a := spec.Affinity; a != nil {
		if a.PodAntiAffinity != nil {
			out.anti = st.terms(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, w.Meta.Namespace, tmplLabels)
		}
		if a.PodAffinity != nil {
			out.affinity = st.terms(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, w.Meta.Namespace, tmplLabels)
		}
	}
	for _, c := range spec.TopologySpreadConstraints {
		if c.WhenUnsatisfiable != corev1.DoNotSchedule {
			continue
		}
		out.spread = append(out.spread, newSpread(c, tmplLabels))
	}
	if len(out.anti) > 0 {
		st.antiOwners = append(st.antiOwners, int32(len(st.workloads)))
	}
	out.constrained = len(out.anti)+len(out.affinity)+len(out.spread)+len(out.ports) > 0
	switch {
	case spec.SchedulerName != "" && spec.SchedulerName != corev1.DefaultSchedulerName:
		out.unknown = UnknownScheduler
	}
	return out
}

func portsOf(spec *corev1.PodSpec) []hostPort {
	var out []hostPort
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range cs {
			for _, p := range c.Ports {
				if p.HostPort <= 0 {
					continue
				}
				proto := string(p.Protocol)
				if proto == "" {
					proto = string(corev1.ProtocolTCP)
				}
				out = append(out, hostPort{ip: p.HostIP, protocol: proto, port: p.HostPort})
			}
		}
	}
	return out
}

// conflicts: two host ports cannot share a node (0.0.0.0 or empty takes
// every address).
func (a hostPort) conflicts(b hostPort) bool {
	if a.port != b.port || a.protocol != b.protocol {
		return false
	}
	any := func(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }
	return any(a.ip) || any(b.ip) || a.ip == b.ip
}

// classOf groups templates by what decides their eligible nodes, since
// most workloads share one (usually: no constraint at all).
func (st *state) classOf(spec *corev1.PodSpec) int32 {
	key := ""
	if len(spec.NodeSelector) > 0 || spec.Affinity != nil || len(spec.Tolerations) > 0 {
		var required *corev1.NodeSelector
		if spec.Affinity != nil && spec.Affinity.NodeAffinity != nil {
			required = spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
		}
		// Marshalling these plain structs cannot fail; a failure would
		// only cost the cache hit.
		b, _ := json.Marshal(struct {
			S map[string]string
			A *corev1.NodeSelector
			T []corev1.Toleration
		}{spec.NodeSelector, required, spec.Tolerations})
		key = string(b)
	}
	if id, ok := st.classKeys[key]; ok {
		return id
	}
	var eligible []int32
	reasons := make([]string, len(st.nodes))
	affinity := st.affinityMatcher(spec)
	for i := range st.nodes {
		reasons[i] = st.nodeReason(int32(i), spec, affinity)
		if reasons[i] == "" {
			eligible = append(eligible, int32(i))
		}
	}
	id := int32(len(st.classes))
	st.classes = append(st.classes, eligible)
	st.classReasons = append(st.classReasons, reasons)
	st.classKeys[key] = id
	return id
}

// nodeReason is why the scheduler's node-level filters (cordon and
// readiness, taints, node selector and affinity) reject node i for spec,
// in the scheduler's order; "" when they pass. affinity is
// st.affinityMatcher(spec).
func (st *state) nodeReason(i int32, spec *corev1.PodSpec, affinity func(int32) bool) string {
	n := &st.nodes[i]
	if !n.target {
		return ReasonNodeUnschedulable
	}
	if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), n.taints, spec.Tolerations, blocksScheduling, false); untolerated {
		return ReasonTaint
	}
	if !affinity(i) {
		return ReasonNodeAffinity
	}
	return ""
}

// affinityMatcher says whether spec's node selector and required node
// affinity select node i. A malformed selector operator matches nothing,
// as the scheduler treats it. Made once per spec: building the matcher
// per node was most of a constrained analysis' allocations.
func (st *state) affinityMatcher(spec *corev1.PodSpec) func(i int32) bool {
	if len(spec.NodeSelector) == 0 && (spec.Affinity == nil || spec.Affinity.NodeAffinity == nil) {
		return func(int32) bool { return true }
	}
	match := nodeaffinity.GetRequiredNodeAffinity(&corev1.Pod{Spec: corev1.PodSpec{NodeSelector: spec.NodeSelector, Affinity: spec.Affinity}})
	return func(i int32) bool {
		ok, err := match.Match(&corev1.Node{ObjectMeta: metaOf(st.nodes[i])})
		return err == nil && ok
	}
}

func tolerates(n *node, tolerations []corev1.Toleration) bool {
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), n.taints, tolerations, blocksScheduling, false)
	return !untolerated
}

// schedulable: the scheduler would place new pods on n (cordon and the
// Ready condition; the node-controller's NoSchedule taints are handled
// with the other taints).
func schedulable(n *corev1.Node) bool {
	if n.Spec.Unschedulable || n.DeletionTimestamp != nil {
		return false
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
			return false
		}
	}
	return true
}

func blocksScheduling(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

func metaOf(n node) metav1.ObjectMeta { return metav1.ObjectMeta{Name: n.name, Labels: n.labels} }
