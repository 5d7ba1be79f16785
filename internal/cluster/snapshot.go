package cluster

import (
	"fmt"
	"slices"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/sourcestatus"
)

// The errors and status types of every source, kept where the agent can
// link them without this package's API types.
var (
	ErrNotSynced = sourcestatus.ErrNotSynced
	ErrNoData    = sourcestatus.ErrNoData
)

// Snapshot is the set of objects the analyzers read. Objects are shared with
// the caches that produced them and must be treated as read-only.
//
// Pods are what analysis reads of them (Pod): identity, labels, owner
// references, node, phase, IP, readiness; containers for bare pods.
type Snapshot struct {
	Nodes        []*corev1.Node
	Pods         []*Pod
	Deployments  []*Deployment
	StatefulSets []*appsv1.StatefulSet
	ReplicaSets  []*appsv1.ReplicaSet
	// OwnedReplicaSets are the informer cache's ReplicaSets that have a
	// controller, as their link to it (ReplicaSets holds the others, and
	// every ReplicaSet of a manifest).
	OwnedReplicaSets []*OwnedReplicaSet
	DaemonSets       []*appsv1.DaemonSet

	PodDisruptionBudgets []*policyv1.PodDisruptionBudget
	Namespaces           []*corev1.Namespace
	ResourceQuotas       []*corev1.ResourceQuota
	LimitRanges          []*corev1.LimitRange

	IngressClasses []*networkingv1.IngressClass
	Ingresses      []*networkingv1.Ingress

	// Services resolve the names health checks call to the workloads
	// behind them.
	Services []*corev1.Service

	// HorizontalPodAutoscalers set the floor of their targets' replicas
	// (cluster.Workloads).
	HorizontalPodAutoscalers []*autoscalingv2.HorizontalPodAutoscaler
	// ScaledObjects are KEDA's autoscalers, where that CRD exists.
	ScaledObjects []ScaledObject

	// PersistentVolumeClaims and PersistentVolumes say where a pod that
	// mounts a claim may run: its volume's node affinity and zone labels
	// (nothing else of them is kept).
	PersistentVolumeClaims []*corev1.PersistentVolumeClaim
	PersistentVolumes      []*corev1.PersistentVolume

	// Admission webhooks carry the CA bundle their serving certificate
	// must chain to (audit reads them from manifests).
	ValidatingWebhookConfigurations []*admissionregistrationv1.ValidatingWebhookConfiguration
	MutatingWebhookConfigurations   []*admissionregistrationv1.MutatingWebhookConfiguration

	// Unsynced names the resources whose caches have not synced (a
	// forbidden resource never does): their lists above are empty, and
	// the analyses that read them must not run (Require).
	Unsynced []string

	// memo, when set (a source that hands one snapshot to several
	// analyses), keeps what every analysis derives first: Workloads.
	memo *memo
}

// ScaledObject is what analysis reads of a KEDA ScaledObject.
type ScaledObject struct {
	Namespace, Name string
	// TargetKind (Deployment when unset) and TargetName: scaleTargetRef.
	TargetKind, TargetName string
	// MinReplicaCount is the fewest replicas KEDA keeps (0, the default:
	// none while no trigger is active).
	MinReplicaCount int32
}

type memo struct {
	once      sync.Once
	workloads []*Workload
}

// Memoize lets the analyses that share s share what they derive from it
// (Workloads, computed once). s must not change afterwards.
func (s *Snapshot) Memoize() { s.memo = &memo{} }

// Require fails with ErrNotSynced when any of resources is unsynced.
func (s *Snapshot) Require(resources ...string) error {
	for _, r := range resources {
		if slices.Contains(s.Unsynced, r) {
			return fmt.Errorf("%w: %s", ErrNotSynced, r)
		}
	}
	return nil
}

// Source hands out the current Snapshot. Generation changes whenever an
// object in the snapshot changes; equal generations mean equal snapshots.
type Source interface {
	Snapshot() (*Snapshot, error)
	Generation() uint64
}

// Static is a Source over a fixed Snapshot (audit mode, tests).
type Static struct{ S *Snapshot }

// Snapshot returns the fixed snapshot.
func (s Static) Snapshot() (*Snapshot, error) { return s.S, nil }

// Generation is constant: a static snapshot never changes.
func (s Static) Generation() uint64 { return 1 }

// ResourceStatus is the health of one watched resource of a source.
type ResourceStatus = sourcestatus.Resource

// StatusReporter is implemented by sources that watch resources.
type StatusReporter = sourcestatus.Reporter
