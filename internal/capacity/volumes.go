package capacity

import (
	"encoding/json"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// volumes resolves the claims pods mount to the nodes their volumes can
// be reached from, as the scheduler's VolumeBinding and VolumeZone
// filters do: a bound claim's PersistentVolume node affinity, and its
// zone and region labels.
type volumes struct {
	// known: the snapshot holds claims and volumes (their caches synced).
	known   bool
	claims  map[string]*corev1.PersistentVolumeClaim // namespace/name
	volumes map[string]*corev1.PersistentVolume
	// pins are the node sets met so far, by the volumes' key.
	pins map[string][]bool
}

func newVolumes(s *cluster.Snapshot) *volumes {
	v := &volumes{known: s.Require("persistentvolumeclaims", "persistentvolumes") == nil,
		claims: map[string]*corev1.PersistentVolumeClaim{}, volumes: map[string]*corev1.PersistentVolume{}, pins: map[string][]bool{}}
	for _, c := range s.PersistentVolumeClaims {
		v.claims[c.Namespace+"/"+c.Name] = c
	}
	for _, pv := range s.PersistentVolumes {
		v.volumes[pv.Name] = pv
	}
	return v
}

// claimNames lists the claims a pod of w mounts: its template's claims,
// its generic ephemeral volumes' (named pod-volume), and a StatefulSet's
// claim templates' (named template-pod).
func claimNames(w *cluster.Workload, spec *corev1.PodSpec, sts *appsv1.StatefulSet, pod string) []string {
	var out []string
	for _, v := range spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			out = append(out, pod+"-"+v.Name)
		}
	}
	if sts != nil {
		for _, t := range sts.Spec.VolumeClaimTemplates {
			out = append(out, t.Name+"-"+pod)
		}
	}
	return out
}

// pin is where a pod mounting claims may run: key "" and nil for
// anywhere; ok false when a claim or its volume is not known (unbound,
// absent, or claims and volumes not read).
func (v *volumes) pin(st *state, ns string, claims []string) (key string, nodes []bool, ok bool) {
	if len(claims) == 0 {
		return "", nil, true
	}
	if !v.known {
		return "", nil, false
	}
	type reach struct {
		Affinity *corev1.VolumeNodeAffinity `json:",omitempty"`
		Labels   map[string]string          `json:",omitempty"`
	}
	var reaches []reach
	for _, name := range claims {
		c := v.claims[ns+"/"+name]
		if c == nil || c.Spec.VolumeName == "" {
			return "", nil, false
		}
		pv := v.volumes[c.Spec.VolumeName]
		if pv == nil {
			return "", nil, false
		}
		if pv.Spec.NodeAffinity == nil && len(pv.Labels) == 0 {
			continue
		}
		reaches = append(reaches, reach{pv.Spec.NodeAffinity, pv.Labels})
	}
	if len(reaches) == 0 {
		return "", nil, true
	}
	// Marshalling these plain structs cannot fail.
	b, _ := json.Marshal(reaches)
	key = string(b)
	if nodes, seen := v.pins[key]; seen {
		return key, nodes, true
	}
	nodes = make([]bool, len(st.nodes))
	all := true
	for i := range st.nodes {
		nodes[i] = true
		n := &corev1.Node{ObjectMeta: metaOf(st.nodes[i])}
		for _, r := range reaches {
			if !reachable(r.Affinity, r.Labels, n) {
				nodes[i] = false
				all = false
				break
			}
		}
	}
	if all {
		nodes = nil // reachable from every node: no constraint
	}
	v.pins[key] = nodes
	return key, nodes, true
}

// reachable: node n passes the volume's required node affinity (a
// malformed one matches nothing, as the scheduler treats it) and its zone
// and region labels (VolumeZone: a value may list several, "__" apart).
func reachable(a *corev1.VolumeNodeAffinity, labels map[string]string, n *corev1.Node) bool {
	if a != nil && a.Required != nil {
		match, err := nodeaffinity.NewNodeSelector(a.Required)
		if err != nil || !match.Match(n) {
			return false
		}
	}
	for k, v := range labels {
		have, ok := n.Labels[k]
		if !ok {
			// VolumeZone compares the standard and the beta keys alike.
			have, ok = n.Labels[twinLabel(k)]
		}
		if !ok || !inList(have, v) {
			return false
		}
	}
	return true
}

func twinLabel(k string) string {
	switch k {
	case corev1.LabelTopologyZone:
		return corev1.LabelFailureDomainBetaZone
	case corev1.LabelFailureDomainBetaZone:
		return corev1.LabelTopologyZone
	case corev1.LabelTopologyRegion:
		return corev1.LabelFailureDomainBetaRegion
	case corev1.LabelFailureDomainBetaRegion:
		return corev1.LabelTopologyRegion
	}
	return k
}

func inList(v, list string) bool {
	for _, x := range strings.Split(list, "__") {
		if x == v {
			return true
		}
	}
	return false
}
