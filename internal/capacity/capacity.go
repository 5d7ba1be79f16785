package capacity

import (
	"cmp"
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/resource"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	corev1helpers "k8s.io/component-helpers/scheduling/corev1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/placement"
)

// maxStranded bounds the workloads named per domain.
const maxStranded = 10

// Domain is what losing one node or zone leaves without a place.
type Domain struct {
	Name string
	// Pods is how many pods its loss makes controllers re-create
	// elsewhere; Unschedulable how many of those find no node.
	Pods, Unschedulable int
	// Stranded names the workloads ("namespace/Kind/name") with an
	// unschedulable pod, the first maxStranded by name.
	Stranded []string
}

// Result is one analysis.
type Result struct {
	// Nodes whose loss leaves a pod unschedulable, most first.
	Nodes []Domain
	// Zones: every zone (nodes' topology.kubernetes.io/zone), by name.
	Zones []Domain
	// UnknownRequests counts the pods on nodes whose requests are unknown
	// (no workload template): they are taken as zero, so the free capacity
	// may be smaller than computed.
	UnknownRequests int
}

// AbsorbsNodeLoss: the loss of any one node leaves every re-created pod a
// place.
func (r Result) AbsorbsNodeLoss() bool { return len(r.Nodes) == 0 }

// AbsorbsZoneLoss likewise for zones; meaningful only with zones.
func (r Result) AbsorbsZoneLoss() bool {
	for _, z := range r.Zones {
		if z.Unschedulable > 0 {
			return false
		}
	}
	return true
}

// request is what one pod asks of a node.
type request struct{ cpu, mem int64 }

// node is a node's free capacity.
type node struct {
	name, zone string
	// target: new pods may be scheduled onto it.
	target             bool
	cpu, mem, podSlots int64
}

// mover is a pod a controller re-creates when its node goes.
type mover struct {
	req      request
	class    int32 // eligibility class
	workload int32 // index into state.workloads
}

type state struct {
	nodes []node
	// classes hold, per eligibility class, the target nodes it may use,
	// by free CPU, most first.
	classes [][]int32
	movers  [][]mover // by node index
	// used is the simulation's consumption, per node, reset after each.
	used    []request
	usedPod []int64
	touched []int32
	lost    []bool
	// workloads names the movers' workloads, "namespace/Kind/name".
	workloads []string
	// Scratch space of simulate, reused: 5,000 node simulations would
	// otherwise allocate 5,000 of each.
	batch    []mover
	first    []int
	stranded []int32
}

// Analyze simulates the loss of every node and every zone.
func Analyze(s *cluster.Snapshot) Result {
	st := &state{}
	var res Result
	index := make(map[string]int32, len(s.Nodes))
	for _, n := range s.Nodes {
		alloc := n.Status.Allocatable
		index[n.Name] = int32(len(st.nodes))
		st.nodes = append(st.nodes, node{
			name: n.Name, zone: placement.NodeZone(n), target: schedulable(n),
			cpu: alloc.Cpu().MilliValue(), mem: alloc.Memory().Value(), podSlots: alloc.Pods().Value(),
		})
	}
	st.movers = make([][]mover, len(st.nodes))
	classes := newClassifier(s.Nodes, st)

	placed := make(map[*cluster.Pod]bool, len(s.Pods))
	for _, w := range cluster.Workloads(s) {
		req := templateRequest(w.Template)
		class, id := int32(-1), int32(-1)
		for _, p := range w.Pods {
			i, ok := index[p.NodeName]
			if !ok || terminal(p) {
				continue
			}
			placed[p] = true
			st.consume(i, req)
			if w.Kind == cluster.KindDaemonSet {
				continue // dies with its node
			}
			if class < 0 {
				class = int32(classes.of(w.Template))
				id = int32(len(st.workloads))
				st.workloads = append(st.workloads, w.Meta.Namespace+"/"+w.Kind+"/"+w.Meta.Name)
			}
			st.movers[i] = append(st.movers[i], mover{req: req, class: class, workload: id})
		}
	}
	for _, p := range s.Pods {
		i, ok := index[p.NodeName]
		if !ok || placed[p] || terminal(p) {
			continue
		}
		if p.BareSpec != nil {
			st.consume(i, podRequest(p.BareSpec))
			continue // a bare pod is not re-created
		}
		res.UnknownRequests++
		st.consume(i, request{})
	}
	classes.sort()
	st.used = make([]request, len(st.nodes))
	st.usedPod = make([]int64, len(st.nodes))
	st.lost = make([]bool, len(st.nodes))

	for i := range st.nodes {
		if len(st.movers[i]) == 0 {
			continue
		}
		if d := st.simulate(st.nodes[i].name, []int32{int32(i)}); d.Unschedulable > 0 {
			res.Nodes = append(res.Nodes, d)
		}
	}
	slices.SortFunc(res.Nodes, func(a, b Domain) int {
		return cmp.Or(cmp.Compare(b.Unschedulable, a.Unschedulable), cmp.Compare(a.Name, b.Name))
	})
	zones := map[string][]int32{}
	for i, n := range st.nodes {
		if n.zone != "" {
			zones[n.zone] = append(zones[n.zone], int32(i))
		}
	}
	for z, members := range zones {
		res.Zones = append(res.Zones, st.simulate(z, members))
	}
	slices.SortFunc(res.Zones, func(a, b Domain) int { return cmp.Compare(a.Name, b.Name) })
	return res
}

// simulate re-homes the movers of the lost nodes, first fit decreasing.
func (st *state) simulate(name string, lost []int32) Domain {
	d := Domain{Name: name}
	movers := st.batch[:0]
	for _, i := range lost {
		st.lost[i] = true
		movers = append(movers, st.movers[i]...)
	}
	st.batch = movers
	defer func() {
		for _, i := range lost {
			st.lost[i] = false
		}
		for _, i := range st.touched {
			st.used[i], st.usedPod[i] = request{}, 0
		}
		st.touched = st.touched[:0]
	}()
	d.Pods = len(movers)
	slices.SortFunc(movers, func(a, b mover) int {
		return cmp.Or(cmp.Compare(b.req.cpu, a.req.cpu), cmp.Compare(b.req.mem, a.req.mem))
	})
	// first[c] skips, per class, the leading nodes already too full for
	// the smallest pod still to come: nodes only fill up, and movers come
	// largest first, so a node skipped once stays skipped.
	first := st.first[:0]
	for range st.classes {
		first = append(first, 0)
	}
	st.first = first
	stranded := st.stranded[:0]
	defer func() { st.stranded = stranded[:0] }()
	for _, m := range movers {
		nodes := st.classes[m.class]
		smallest := movers[len(movers)-1].req
		for first[m.class] < len(nodes) && !st.fits(nodes[first[m.class]], smallest) {
			first[m.class]++
		}
		at := -1
		for _, i := range nodes[first[m.class]:] {
			if st.nodes[i].cpu < m.req.cpu {
				break // by free CPU, most first: none further fits
			}
			if st.fits(i, m.req) {
				at = int(i)
				break
			}
		}
		if at < 0 {
			d.Unschedulable++
			stranded = append(stranded, m.workload)
			continue
		}
		if st.used[at] == (request{}) && st.usedPod[at] == 0 {
			st.touched = append(st.touched, int32(at))
		}
		st.used[at].cpu += m.req.cpu
		st.used[at].mem += m.req.mem
		st.usedPod[at]++
	}
	slices.Sort(stranded)
	stranded = slices.Compact(stranded)
	for _, id := range stranded {
		d.Stranded = append(d.Stranded, st.workloads[id])
	}
	slices.Sort(d.Stranded)
	if len(d.Stranded) > maxStranded {
		d.Stranded = d.Stranded[:maxStranded]
	}
	return d
}

// fits: node i is not lost and holds r besides what it holds already.
func (st *state) fits(i int32, r request) bool {
	n := &st.nodes[i]
	return !st.lost[i] && n.cpu-st.used[i].cpu >= r.cpu && n.mem-st.used[i].mem >= r.mem && n.podSlots-st.usedPod[i] >= 1
}

func (st *state) consume(i int32, r request) {
	n := &st.nodes[i]
	n.cpu -= r.cpu
	n.mem -= r.mem
	n.podSlots--
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

func terminal(p *cluster.Pod) bool {
	return p.Phase == corev1.PodSucceeded || p.Phase == corev1.PodFailed
}

func templateRequest(t *corev1.PodTemplateSpec) request {
	if t == nil {
		return request{}
	}
	return podRequest(&t.Spec)
}

// podRequest is the scheduler's view of a pod's requests: the larger of
// its containers' sum and any init container, sidecars and overhead
// included.
func podRequest(spec *corev1.PodSpec) request {
	rl := resource.PodRequests(&corev1.Pod{Spec: *spec}, resource.PodResourcesOptions{})
	return request{cpu: rl.Cpu().MilliValue(), mem: rl.Memory().Value()}
}

// classifier groups templates by what decides their eligible nodes, since
// most workloads share one (usually: no constraint at all).
type classifier struct {
	nodes []*corev1.Node
	st    *state
	ids   map[string]int
}

func newClassifier(nodes []*corev1.Node, st *state) *classifier {
	return &classifier{nodes: nodes, st: st, ids: map[string]int{}}
}

func (c *classifier) of(t *corev1.PodTemplateSpec) int {
	var spec corev1.PodSpec
	if t != nil {
		spec = t.Spec
	}
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
	if id, ok := c.ids[key]; ok {
		return id
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: spec.NodeSelector, Affinity: spec.Affinity}}
	match := nodeaffinity.GetRequiredNodeAffinity(pod)
	var eligible []int32
	for i, n := range c.nodes {
		if !c.st.nodes[i].target {
			continue
		}
		// A malformed selector operator matches nothing, as the
		// scheduler treats it.
		if ok, err := match.Match(n); err != nil || !ok {
			continue
		}
		if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), n.Spec.Taints, spec.Tolerations, blocksScheduling, false); untolerated {
			continue
		}
		eligible = append(eligible, int32(i))
	}
	id := len(c.st.classes)
	c.st.classes = append(c.st.classes, eligible)
	c.ids[key] = id
	return id
}

// sort orders every class's nodes by free CPU, most first, once the
// pods already placed are accounted for.
func (c *classifier) sort() {
	for _, nodes := range c.st.classes {
		slices.SortFunc(nodes, func(a, b int32) int {
			return cmp.Or(cmp.Compare(c.st.nodes[b].cpu, c.st.nodes[a].cpu), cmp.Compare(a, b))
		})
	}
}

func blocksScheduling(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}
