package disruption

import (
	"cmp"
	"slices"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// budgetLoss counts, per node and zone, the PDBs that hold now and that
// its loss would push below their desired healthy pods: the workload
// survives the loss, but not within the budget its owners set.
type budgetLoss struct {
	zoneOf       map[string]string
	nodes, zones map[string]int
}

func newBudgetLoss(s *cluster.Snapshot) *budgetLoss {
	b := &budgetLoss{zoneOf: make(map[string]string, len(s.Nodes)), nodes: map[string]int{}, zones: map[string]int{}}
	for _, n := range s.Nodes {
		z := cluster.NodeZone(n)
		b.zoneOf[n.Name] = z
		if z != "" {
			b.zones[z] += 0
		}
	}
	return b
}

// add takes one PDB's verdict and the pods it selects.
func (b *budgetLoss) add(v PDB, selected []*cluster.Pod) {
	if !v.ExpectedKnown || v.DesiredHealthy <= 0 || v.CurrentHealthy < v.DesiredHealthy {
		return // protects nothing, unknown, or broken already
	}
	spare := v.CurrentHealthy - v.DesiredHealthy
	byNode, byZone := map[string]int{}, map[string]int{}
	for _, p := range selected {
		if !p.Ready || p.Terminating {
			continue
		}
		if _, ok := b.zoneOf[p.NodeName]; !ok {
			continue
		}
		byNode[p.NodeName]++
		if z := b.zoneOf[p.NodeName]; z != "" {
			byZone[z]++
		}
	}
	for n, k := range byNode {
		if k > spare {
			b.nodes[n]++
		}
	}
	for z, k := range byZone {
		if k > spare {
			b.zones[z]++
		}
	}
}

func (b *budgetLoss) result() (nodes, zones []Domain) {
	for n, k := range b.nodes {
		nodes = append(nodes, Domain{n, k})
	}
	slices.SortFunc(nodes, func(a, b Domain) int { return cmp.Or(cmp.Compare(b.PDBs, a.PDBs), cmp.Compare(a.Name, b.Name)) })
	for z, k := range b.zones {
		zones = append(zones, Domain{z, k})
	}
	slices.SortFunc(zones, func(a, b Domain) int { return cmp.Compare(a.Name, b.Name) })
	return nodes, zones
}
