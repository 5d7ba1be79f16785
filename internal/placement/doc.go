// Package placement analyzes where each workload's ready replicas run: how
// many sit on one node or in one zone, and how uneven the spread is over the
// nodes and zones the workload could use.
//
// Analyze is a pure function from a cluster.Snapshot to a Result. A Workload
// is a Deployment, a StatefulSet or a ReplicaSet without a controller owner
// (DaemonSets place one pod per node by design and are not analyzed). Pods
// are attributed to workloads through their controller owner reference, by
// UID, so a deleted and re-created workload of the same name never inherits
// its predecessor's pods.
//
// Skew follows the definition of topologySpreadConstraints: the number of
// ready replicas in the fullest domain minus the number in the emptiest
// eligible domain. A node is eligible when it is schedulable (not cordoned)
// and the pod template's nodeSelector and required node affinity allow it;
// taints are ignored, as nodeTaintsPolicy: Ignore (the default) does. A zone
// is eligible when it holds an eligible node. Replicas on an ineligible node
// (for example one cordoned after they were scheduled) still count towards
// the fullest domain: they are packed there whether or not new pods may
// follow.
package placement
