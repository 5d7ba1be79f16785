package cluster

import corev1 "k8s.io/api/core/v1"

// KindPod is a bare pod's kind, as findings and the owner_kind label name
// it.
const KindPod = "Pod"

// Zone label keys, newest first. The beta key is still set by some older
// cloud providers and node images.
const (
	ZoneLabel     = corev1.LabelTopologyZone
	BetaZoneLabel = corev1.LabelFailureDomainBetaZone
)

// NodeZone returns the node's zone label, or "" when it has none: what
// every analysis of node and zone loss groups nodes by.
func NodeZone(n *corev1.Node) string {
	if z, ok := n.Labels[ZoneLabel]; ok {
		return z
	}
	return n.Labels[BetaZoneLabel]
}
