// Package capacity answers, from the scheduler's point of view, whether the
// rest of the cluster could hold the pods of a lost node or zone.
//
// A controller re-creates the pods of a lost node (a DaemonSet's die with
// it; a bare pod is gone): each needs a node that is schedulable (not
// cordoned, not NotReady), that its nodeSelector and required node affinity
// select, whose NoSchedule/NoExecute taints it tolerates, and whose
// allocatable CPU, memory and pod slots, minus the requests of the pods
// already there, hold its requests. The pods to re-home are placed first
// fit decreasing (largest CPU request first, onto the node with the most
// free CPU first): a pod counted unschedulable found no such node.
//
// Requests come from the workload's pod template (the scheduler's effective
// requests: init containers, sidecars and overhead included). Pods whose
// controller is not a workload read here (Jobs, operators' custom
// resources) use capacity this analysis cannot see: they are counted, and
// their requests taken as zero. Inter-pod (anti-)affinity, topology spread
// and zonal volumes are not modelled: a StatefulSet whose volumes are bound
// to the lost zone cannot move at all, whatever this says.
//
// Analysis: it never imports client-go, the network, a source or a collector.
package capacity
