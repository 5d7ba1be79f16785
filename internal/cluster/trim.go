//go:build !agentonly

package cluster

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"unique"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/controllerversions"
)

// KeptAnnotations are the annotations analysis reads; all others (last
// applied configurations, controller bookkeeping) are dropped on arrival.
// They are spelled out, not imported, because the packages that read them
// import this one (TestKeptAnnotationsAreTheOnesRead holds them equal).
var KeptAnnotations = []string{
	"health.kube-reliability.io/depends-on", // healthcheck.DependsOnAnnotation
	"kubernetes.io/ingress.class",
	"ingressclass.kubernetes.io/is-default-class",
	"reliability.kube-reliability.io/ignore", // findings.IgnoreAnnotation
}

// trimReplicaSet: a ReplicaSet with a controller (a Deployment's) is
// only the link from its pods to that owner (Workloads reads its UID and
// controller reference, nothing else): an OwnedReplicaSet. One without is
// a workload of its own and keeps what workloads keep.
func trimReplicaSet(obj any) any {
	o := obj.(*appsv1.ReplicaSet)
	if ref := metav1.GetControllerOf(o); ref != nil {
		return &OwnedReplicaSet{Name: o.Name, Namespace: unique.Make(o.Namespace).Value(), UID: o.UID, ResourceVersion: o.ResourceVersion,
			Owner: metav1.OwnerReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, UID: ref.UID, Controller: ref.Controller}}
	}
	trimMeta(&o.ObjectMeta)
	trimTemplate(&o.Spec.Template)
	o.Status = appsv1.ReplicaSetStatus{}
	return o
}

// trimDeployment makes the cache's Deployment: the strategy's type (loss
// reads whether it is Recreate; its rolling-update parameters are read by
// nothing), no history limit, progress deadline or status, and the
// trimmed template's pod spec shared with every equal one.
func trimDeployment(obj any) any {
	o := obj.(*appsv1.Deployment)
	trimMeta(&o.ObjectMeta)
	trimTemplate(&o.Spec.Template)
	internSelector(o.Spec.Selector)
	t := &o.Spec.Template
	return &Deployment{ObjectMeta: o.ObjectMeta, Spec: DeploymentSpec{
		Replicas: o.Spec.Replicas, Selector: o.Spec.Selector,
		Strategy: appsv1.DeploymentStrategy{Type: unique.Make(o.Spec.Strategy.Type).Value()},
		Template: Template{Labels: t.Labels, Annotations: t.Annotations, Spec: interned.spec(&t.Spec)},
	}}
}

func trimStatefulSet(obj any) any {
	o := obj.(*appsv1.StatefulSet)
	trimMeta(&o.ObjectMeta)
	trimTemplate(&o.Spec.Template)
	internSelector(o.Spec.Selector)
	// Only their names: a claim template means a volume whose topology
	// the capacity simulation cannot know.
	claims := o.Spec.VolumeClaimTemplates
	o.Spec.VolumeClaimTemplates = nil
	for _, c := range claims {
		o.Spec.VolumeClaimTemplates = append(o.Spec.VolumeClaimTemplates, corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: c.Name}})
	}
	o.Spec.UpdateStrategy, o.Spec.RevisionHistoryLimit, o.Spec.PersistentVolumeClaimRetentionPolicy = appsv1.StatefulSetUpdateStrategy{}, nil, nil
	o.Status = appsv1.StatefulSetStatus{}
	return o
}

func trimDaemonSet(obj any) any {
	o := obj.(*appsv1.DaemonSet)
	trimMeta(&o.ObjectMeta)
	trimTemplate(&o.Spec.Template)
	internSelector(o.Spec.Selector)
	o.Spec.UpdateStrategy, o.Spec.RevisionHistoryLimit = appsv1.DaemonSetUpdateStrategy{}, nil
	o.Status = appsv1.DaemonSetStatus{}
	return o
}

// trimClaim keeps the volume a claim is bound to (where that volume can be
// reached decides where the claim's pods may run) and its access modes
// (whether two pods may hold it at once: a rollout's surge).
func trimClaim(obj any) any {
	o := obj.(*corev1.PersistentVolumeClaim)
	return &corev1.PersistentVolumeClaim{TypeMeta: o.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, Name: o.Name, UID: o.UID, ResourceVersion: o.ResourceVersion},
		Spec:       corev1.PersistentVolumeClaimSpec{VolumeName: o.Spec.VolumeName, AccessModes: o.Spec.AccessModes}}
}

// trimVolume keeps the nodes that reach a volume: its node affinity, and
// the zone labels the scheduler's VolumeZone filter reads.
func trimVolume(obj any) any {
	o := obj.(*corev1.PersistentVolume)
	out := &corev1.PersistentVolume{TypeMeta: o.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, UID: o.UID, ResourceVersion: o.ResourceVersion},
		Spec:       corev1.PersistentVolumeSpec{NodeAffinity: o.Spec.NodeAffinity}}
	for _, k := range []string{corev1.LabelTopologyZone, corev1.LabelFailureDomainBetaZone, corev1.LabelTopologyRegion, corev1.LabelFailureDomainBetaRegion} {
		if v, ok := o.Labels[k]; ok {
			if out.Labels == nil {
				out.Labels = map[string]string{}
			}
			out.Labels[k] = v
		}
	}
	return out
}

// trimMeta drops managed fields and the annotations analysis does not
// read, and shares the labels with every equal label map (a workload's
// labels, its selector's and its template's are most often one map).
func trimMeta(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	m.Annotations = keepAnnotations(m.Annotations)
	m.Labels = interned.labels(m.Labels)
	m.Namespace = unique.Make(m.Namespace).Value()
}

func internSelector(sel *metav1.LabelSelector) {
	if sel != nil {
		sel.MatchLabels = interned.labels(sel.MatchLabels)
	}
}

func keepAnnotations(a map[string]string) map[string]string {
	var out map[string]string
	for _, k := range KeptAnnotations {
		if v, ok := a[k]; ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// trimNode keeps what placement, and the node and zone loss analyses,
// read: labels, cordon, taints, allocatable resources and the Ready
// condition. A node's image list alone is often 10 KB.
func trimNode(obj any) any {
	n := obj.(*corev1.Node)
	out := &corev1.Node{
		TypeMeta: n.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: n.Name, UID: n.UID, ResourceVersion: n.ResourceVersion,
			Labels: n.Labels, DeletionTimestamp: n.DeletionTimestamp,
		},
		Spec: corev1.NodeSpec{Unschedulable: n.Spec.Unschedulable, Taints: n.Spec.Taints},
		Status: corev1.NodeStatus{Allocatable: interned.resources(n.Status.Allocatable),
			// Versions: the skew policy is judged per node. Every node of a
			// pool reports the same strings, so they are interned.
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: unique.Make(n.Status.NodeInfo.KubeletVersion).Value(),
				//lint:ignore SA1019 kubelets before 1.31 still report it, and it is their kube-proxy's version
				KubeProxyVersion: unique.Make(n.Status.NodeInfo.KubeProxyVersion).Value(),
			}},
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Status.Conditions = []corev1.NodeCondition{{Type: c.Type, Status: c.Status}}
		}
	}
	return out
}

// TrimPod returns what analysis reads of p (Pod). The pods of one
// ReplicaSet share their labels and owner reference, so those are
// interned: one map and one slice for all of them; namespace and node
// names are interned too.
func TrimPod(p *corev1.Pod) *Pod {
	out := PodFrom(p)
	out.Namespace = unique.Make(out.Namespace).Value()
	out.NodeName = unique.Make(out.NodeName).Value()
	out.Phase = unique.Make(out.Phase).Value()
	out.Labels = interned.labels(out.Labels)
	out.OwnerReferences = interned.owners(out.OwnerReferences)
	if out.BareSpec != nil {
		// Probes and ports: a bare pod's health checks are in the graph too.
		out.BareSpec = &corev1.PodSpec{Containers: trimContainers(p.Spec.Containers), InitContainers: trimContainers(p.Spec.InitContainers)}
	}
	return out
}

// trimTemplate keeps of a workload's pod template what analysis reads:
// labels and annotations it reads, where pods may run (node selector,
// affinity, tolerations, spread constraints, priority) and each
// container's name, ports, resources and probes. Environment, volumes,
// commands and security contexts often make up most of a template.
func trimTemplate(t *corev1.PodTemplateSpec) {
	t.Annotations = keepAnnotations(t.Annotations)
	t.Labels = interned.labels(t.Labels)
	s := t.Spec
	t.Spec = corev1.PodSpec{
		Containers: trimContainers(s.Containers), InitContainers: trimContainers(s.InitContainers),
		NodeSelector: s.NodeSelector, Affinity: s.Affinity, Tolerations: s.Tolerations,
		TopologySpreadConstraints: s.TopologySpreadConstraints,
		PriorityClassName:         s.PriorityClassName, Priority: s.Priority,
		SchedulerName: s.SchedulerName, Overhead: s.Overhead,
	}
	// Claims only: a volume bound to a zone or node decides where a pod
	// may run, and the capacity simulation says it cannot know it.
	for _, v := range s.Volumes {
		if v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
			t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: v.PersistentVolumeClaim, Ephemeral: v.Ephemeral}})
		}
	}
}

// versionedImage keeps the images whose version is judged (ingress and
// gateway controllers, kube-proxy) and drops every other: images differ
// with each build, and would defeat interning equal container lists.
func versionedImage(image string) string {
	if IsKubeProxyImage(image) {
		return image
	}
	if _, err := controllers.Identify(image); err == nil {
		return image
	}
	return ""
}

// IsKubeProxyImage reports whether image is kube-proxy's, in any registry.
func IsKubeProxyImage(image string) bool {
	path, _ := controllerversions.Split(image)
	return path == "kube-proxy" || strings.HasSuffix(path, "/kube-proxy")
}

// controllers is the shipped controller table; it is embedded and checked
// by its tests, so a failure to load is a build defect.
var controllers = func() *controllerversions.Table {
	t, err := controllerversions.Load()
	if err != nil {
		panic(err)
	}
	return t
}()

func trimContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, 0, len(cs))
	for _, c := range cs {
		res := c.Resources
		res.Requests, res.Limits = interned.resources(res.Requests), interned.resources(res.Limits)
		out = append(out, corev1.Container{Name: c.Name, Resources: res, Ports: c.Ports, Image: versionedImage(c.Image),
			LivenessProbe: c.LivenessProbe, ReadinessProbe: c.ReadinessProbe, StartupProbe: c.StartupProbe})
	}
	return interned.containers(out)
}

// internTable shares equal label maps and owner reference slices between
// the pods that carry them. It forgets everything once it holds
// maxInterned entries, so rollouts (a new pod-template-hash each) cannot
// grow it without bound: pods cached before keep their own copies.
type internTable struct {
	mu   sync.Mutex
	maps map[string]map[string]string
	refs map[types.UID][]metav1.OwnerReference
	// lists are containers' requests and limits: a map of two resources
	// costs ~650 bytes, and most workloads of a chart request the same.
	lists map[string]corev1.ResourceList
	// conts are trimmed container lists: without images, commands
	// and environment, the containers of one chart's workloads are most
	// often equal (names, ports, probes, resources), ~900 bytes each.
	// Keyed by a hash of their encoding: the encoding itself would cost
	// as much as a list.
	conts map[[sha256.Size]byte][]corev1.Container
	// specs are Deployments' trimmed pod specs (592 bytes before their
	// containers): most Deployments of a chart differ in labels only.
	specs map[[sha256.Size]byte]*corev1.PodSpec
}

// containers shares equal trimmed container lists.
func (t *internTable) containers(cs []corev1.Container) []corev1.Container {
	h := sha256.New()
	for i := range cs {
		b, err := cs[i].Marshal()
		if err != nil {
			return cs
		}
		// Length-prefixed: two lists never encode alike.
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.conts[key]; ok {
		return c
	}
	if t.conts == nil || len(t.conts) >= maxInterned {
		t.conts = map[[sha256.Size]byte][]corev1.Container{}
	}
	t.conts[key] = cs
	return cs
}

// spec shares equal trimmed pod specs (their containers already shared:
// the hash is of the encoding, the equal lists encode alike).
func (t *internTable) spec(s *corev1.PodSpec) *corev1.PodSpec {
	b, err := s.Marshal()
	if err != nil {
		return s
	}
	key := sha256.Sum256(b)
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.specs[key]; ok {
		return c
	}
	if t.specs == nil || len(t.specs) >= maxInterned {
		t.specs = map[[sha256.Size]byte]*corev1.PodSpec{}
	}
	t.specs[key] = s
	return s
}

// resources shares equal resource lists (same names, same quantities).
func (t *internTable) resources(l corev1.ResourceList) corev1.ResourceList {
	if len(l) == 0 {
		return l
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		q := l[corev1.ResourceName(k)]
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(q.String())
		b.WriteByte(0)
	}
	key := b.String()
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.lists[key]; ok {
		return m
	}
	if t.lists == nil || len(t.lists) >= maxInterned {
		t.lists = map[string]corev1.ResourceList{}
	}
	t.lists[key] = l
	return l
}

const maxInterned = 1 << 16

var interned = &internTable{}

func (t *internTable) labels(l map[string]string) map[string]string {
	if len(l) == 0 {
		return nil
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(l[k])
		b.WriteByte(0)
	}
	key := b.String()
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.maps[key]; ok {
		return m
	}
	if t.maps == nil || len(t.maps) >= maxInterned {
		t.maps = map[string]map[string]string{}
	}
	t.maps[key] = l
	return l
}

// owners interns a pod's owner references by its controller's UID: the
// references of all pods of one ReplicaSet are equal.
func (t *internTable) owners(refs []metav1.OwnerReference) []metav1.OwnerReference {
	if len(refs) != 1 || refs[0].Controller == nil || !*refs[0].Controller {
		return refs
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, ok := t.refs[refs[0].UID]; ok && r[0].Kind == refs[0].Kind && r[0].Name == refs[0].Name {
		return r
	}
	if t.refs == nil || len(t.refs) >= maxInterned {
		t.refs = map[types.UID][]metav1.OwnerReference{}
	}
	t.refs[refs[0].UID] = refs
	return refs
}
