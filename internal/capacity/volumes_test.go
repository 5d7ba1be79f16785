package capacity

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// statefulSet adds a StatefulSet with a claim template "data", pod k on
// nodes[k], and its claim bound to a volume reachable from zones[k] ("":
// from anywhere).
func statefulSet(s *cluster.Snapshot, name string, tmpl corev1.PodTemplateSpec, nodes, zones []string) {
	n := int32(len(nodes))
	ss := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID("ss-" + name)},
		Spec: appsv1.StatefulSetSpec{Replicas: &n, Template: tmpl,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}}}}
	s.StatefulSets = append(s.StatefulSets, ss)
	for k, nd := range nodes {
		pod := name + "-" + string(rune('0'+k))
		s.Pods = append(s.Pods, &cluster.Pod{Namespace: "shop", Name: pod,
			OwnerReferences: []metav1.OwnerReference{{Kind: "StatefulSet", UID: ss.UID, Controller: &yes}},
			NodeName:        nd, Phase: corev1.PodRunning, Ready: true})
		pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-" + pod}}
		if zones[k] != "" {
			pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zones[k]}}}}}}}
		}
		s.PersistentVolumes = append(s.PersistentVolumes, pv)
		s.PersistentVolumeClaims = append(s.PersistentVolumeClaims, &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data-" + pod}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pv.Name}})
	}
}

func domain(ds []Domain, name string) *Domain {
	for i := range ds {
		if ds[i].Name == name {
			return &ds[i]
		}
	}
	return nil
}

// TestVolumes: a StatefulSet's pods follow their zonal volumes. Losing a
// zone strands the pod whose volume is there (volume_zone), while the
// pod whose node alone is lost moves within its zone; a volume without
// node affinity moves anywhere; an unbound claim is unknown.
func TestVolumes(t *testing.T) {
	t.Parallel()
	s := &cluster.Snapshot{Nodes: []*corev1.Node{newNode("a1", "a", "4", "16Gi", 110), newNode("a2", "a", "4", "16Gi", 110),
		newNode("b1", "b", "4", "16Gi", 110), newNode("c1", "c", "4", "16Gi", 110)}}
	statefulSet(s, "db", template("1", "1Gi"), []string{"a1", "b1", "c1"}, []string{"a", "b", "c"})
	statefulSet(s, "cache", template("1", "1Gi"), []string{"a2"}, []string{""})
	r := noFilters(Analyze(s))

	// Zone a: db-0 has no node in zone a left; cache's volume goes anywhere.
	za := domain(r.Zones, "a")
	want := []Stranded{{Workload: "shop/StatefulSet/db", Pods: 1, Reason: ReasonVolumeZone}}
	if za == nil || !reflect.DeepEqual(za.Stranded, want) || za.Pods != 2 || za.Unschedulable != 1 || za.Unknown != 0 {
		t.Errorf("zone a: got %+v, want db's one pod stranded by %s of 2 displaced", za, ReasonVolumeZone)
	}
	// Node b1: db-1 needs zone b, which has no other node.
	if b1 := domain(r.Nodes, "b1"); b1 == nil || !reflect.DeepEqual(b1.Stranded, []Stranded{{Workload: "shop/StatefulSet/db", Pods: 1, Reason: ReasonVolumeZone}}) {
		t.Errorf("node b1: got %+v, want db stranded by %s", b1, ReasonVolumeZone)
	}
	// Node a1: db-0 moves to a2, in its zone.
	if a1 := domain(r.Nodes, "a1"); a1 != nil && (a1.Unschedulable != 0 || a1.Unknown != 0) {
		t.Errorf("node a1: got %+v, want nothing stranded or unknown", a1)
	}

	// Unbound: the claim names no volume.
	s.PersistentVolumeClaims[0].Spec.VolumeName = ""
	r = Analyze(s)
	if b1 := domain(r.Nodes, "b1"); b1 == nil || b1.UnknownReasons[UnknownVolume] != 1 || b1.Unschedulable != 0 {
		t.Errorf("unbound claim: got %+v, want db's pod unknown by %s", b1, UnknownVolume)
	}
	// Claims and volumes not read (forbidden): unknown too.
	s.PersistentVolumeClaims[0].Spec.VolumeName = "pv-db-0"
	s.Unsynced = []string{"persistentvolumes"}
	r = Analyze(s)
	if za := domain(r.Zones, "a"); za == nil || za.UnknownReasons[UnknownVolume] != 2 || za.Unschedulable != 0 {
		t.Errorf("volumes not read: got %+v, want both workloads' pods unknown by %s", za, UnknownVolume)
	}
}
