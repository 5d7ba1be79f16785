package cluster

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/cache"
)

func TestTransformTrimsPods(t *testing.T) {
	t.Parallel()
	yes := true
	now := metav1.Now()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "p", Namespace: "ns", UID: "u", Labels: map[string]string{"app": "a"},
			Annotations:       map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{…}"},
			OwnerReferences:   []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs", UID: "r", Controller: &yes}},
			ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			DeletionTimestamp: &now,
		},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "i", Env: []corev1.EnvVar{{Name: "X", Value: "y"}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1", Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, Message: "long text"},
		}, ContainerStatuses: []corev1.ContainerStatus{{Name: "c"}}},
	}
	got, err := Transform(p)
	if err != nil {
		t.Fatal(err)
	}
	tp := got.(*Pod)
	if tp.Name != "p" || tp.Namespace != "ns" || tp.Labels["app"] != "a" || len(tp.OwnerReferences) != 1 || !tp.Terminating ||
		tp.NodeName != "node-1" || tp.Phase != corev1.PodRunning || !tp.Ready || tp.PodIP != "10.0.0.1" {
		t.Errorf("lost a field analysis reads: %+v", tp)
	}
	if tp.BareSpec != nil {
		t.Errorf("kept the containers of a pod with a controller: %+v", tp.BareSpec)
	}
	// The informer cache keys it like the pod.
	if key, err := cache.MetaNamespaceKeyFunc(got); err != nil || key != "ns/p" {
		t.Errorf("cache key %q, %v", key, err)
	}
	// A bare pod keeps its containers' resources, ports and probes only.
	p.OwnerReferences = nil
	bare := TrimPod(p)
	if bare.BareSpec == nil || len(bare.BareSpec.Containers) != 1 || bare.BareSpec.Containers[0].Name != "c" || bare.BareSpec.Containers[0].Env != nil {
		t.Errorf("bare pod containers: %+v", bare.BareSpec)
	}
}

func TestTransformTrimsOwnedReplicaSetTemplates(t *testing.T) {
	t.Parallel()
	yes := true
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{NodeSelector: map[string]string{"a": "b"}}}
	owned := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Controller: &yes}}},
		Spec: appsv1.ReplicaSetSpec{Template: tmpl}}
	bare := &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: tmpl}}
	owned.Name, owned.Namespace, owned.UID, owned.Labels = "web-1", "shop", "rs-uid", map[string]string{"app": "web"}
	owned.OwnerReferences[0].UID, owned.OwnerReferences[0].Name = "d-uid", "web"
	got, err := Transform(owned)
	if err != nil {
		t.Fatal(err)
	}
	want := &OwnedReplicaSet{Name: "web-1", Namespace: "shop", UID: "rs-uid",
		Owner: metav1.OwnerReference{Kind: "Deployment", Name: "web", UID: "d-uid", Controller: &yes}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("a Deployment-owned ReplicaSet is more than its link to its owner: got %+v", got)
	}
	if _, err := Transform(bare); err != nil {
		t.Fatal(err)
	}
	if bare.Spec.Template.Spec.NodeSelector == nil {
		t.Error("a bare ReplicaSet lost its template: it is a workload of its own")
	}
}

// Pods of one ReplicaSet share one label map and one owner reference
// slice in the cache; different labels are never shared.
func TestTrimPodInternsLabelsAndOwners(t *testing.T) {
	t.Parallel()
	yes := true
	pod := func(name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: labels,
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs-intern", UID: "rs-intern-uid", Controller: &yes}}}}
	}
	a := TrimPod(pod("a", map[string]string{"app": "intern", "pod-template-hash": "1"}))
	b := TrimPod(pod("b", map[string]string{"pod-template-hash": "1", "app": "intern"}))
	c := TrimPod(pod("c", map[string]string{"app": "intern", "pod-template-hash": "2"}))
	if !sameMap(a.Labels, b.Labels) || sameMap(a.Labels, c.Labels) || c.Labels["pod-template-hash"] != "2" {
		t.Errorf("labels: a %v b %v c %v", a.Labels, b.Labels, c.Labels)
	}
	if &a.OwnerReferences[0] != &b.OwnerReferences[0] || a.OwnerReferences[0].Name != "rs-intern" {
		t.Errorf("owner references not shared: %v %v", a.OwnerReferences, b.OwnerReferences)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	a["__probe"] = "x"
	_, shared := b["__probe"]
	delete(a, "__probe")
	return shared
}

func TestTransformTrimsNodes(t *testing.T) {
	t.Parallel()
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{corev1.LabelTopologyZone: "a"}, Annotations: map[string]string{"x": "y"}},
		Spec:       corev1.NodeSpec{Unschedulable: true, Taints: []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")},
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure}, {Type: corev1.NodeReady, Status: corev1.ConditionTrue, Message: "m"}},
			Images:      []corev1.ContainerImage{{Names: []string{"img"}}},
			//lint:ignore SA1019 kubelets before 1.31 still report it, and it is their kube-proxy's version
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.34.2", KubeProxyVersion: "v1.34.2", OSImage: "Debian", MachineID: "m"},
		},
	}
	got, err := Transform(n)
	if err != nil {
		t.Fatal(err)
	}
	tn := got.(*corev1.Node)
	if tn.Labels[corev1.LabelTopologyZone] != "a" || !tn.Spec.Unschedulable || len(tn.Spec.Taints) != 1 ||
		tn.Status.Allocatable.Cpu().String() != "4" || len(tn.Status.Conditions) != 1 || tn.Status.Conditions[0].Status != corev1.ConditionTrue {
		t.Errorf("lost a field analysis reads: %+v", tn)
	}
	//lint:ignore SA1019 kubelets before 1.31 still report it, and it is their kube-proxy's version
	if tn.Status.NodeInfo.KubeletVersion != "v1.34.2" || tn.Status.NodeInfo.KubeProxyVersion != "v1.34.2" {
		t.Errorf("lost the versions the skew policy judges: %+v", tn.Status.NodeInfo)
	}
	if tn.Annotations != nil || tn.Status.Images != nil || tn.Status.NodeInfo.OSImage != "" || tn.Status.NodeInfo.MachineID != "" || tn.Status.Conditions[0].Message != "" {
		t.Errorf("kept bulk analysis never reads: %+v", tn)
	}
}

func TestTransformKeepsAnnotationsAnalysisReads(t *testing.T) {
	t.Parallel()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		"health.kube-reliability.io/depends-on": "db", "kubectl.kubernetes.io/last-applied-configuration": "{…}"}},
		Status: appsv1.DeploymentStatus{Replicas: 3}}
	got, err := Transform(d)
	if err != nil {
		t.Fatal(err)
	}
	td, ok := got.(*Deployment)
	if !ok {
		t.Fatalf("cached a %T, want the compact *Deployment", got)
	}
	if len(td.Annotations) != 1 || td.Annotations["health.kube-reliability.io/depends-on"] != "db" {
		t.Errorf("deployment after trim: %v", td.Annotations)
	}
}

// A workload template keeps where pods may run and each container's
// ports, resources and probes; environment, volumes and commands go.
func TestTransformTrimsTemplates(t *testing.T) {
	t.Parallel()
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"check", "db"}}}}
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"pool": "x"}, Affinity: &corev1.Affinity{}, Tolerations: []corev1.Toleration{{Key: "k"}},
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{MaxSkew: 1}},
			Volumes:                   []corev1.Volume{{Name: "v"}},
			Containers: []corev1.Container{{Name: "c", Image: "i", Command: []string{"run"}, Env: []corev1.EnvVar{{Name: "X"}},
				Ports: []corev1.ContainerPort{{ContainerPort: 80}}, LivenessProbe: probe,
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}},
			InitContainers: []corev1.Container{{Name: "init", Env: []corev1.EnvVar{{Name: "Y"}}}},
		},
	}}}
	got, err := Transform(d)
	if err != nil {
		t.Fatal(err)
	}
	td := got.(*Deployment)
	s := td.Spec.Template.Spec
	c := s.Containers[0]
	if td.Spec.Template.Labels["app"] != "a" || s.NodeSelector["pool"] != "x" || s.Affinity == nil || len(s.Tolerations) != 1 ||
		len(s.TopologySpreadConstraints) != 1 || c.Name != "c" || len(c.Ports) != 1 || !reflect.DeepEqual(c.LivenessProbe, probe) ||
		c.Resources.Requests.Cpu().String() != "1" || len(s.InitContainers) != 1 {
		t.Errorf("lost a field analysis reads: %+v", s)
	}
	if s.Volumes != nil || c.Env != nil || c.Command != nil || c.Image != "" || s.InitContainers[0].Env != nil {
		t.Errorf("kept bulk analysis never reads: %+v", s)
	}
}

// Workloads whose containers differ only in what is trimmed (image,
// environment) share one container list; any difference analysis reads
// (a port here) keeps them apart.
func TestTransformSharesEqualContainers(t *testing.T) {
	t.Parallel()
	dep := func(image string, port int32) *appsv1.Deployment {
		return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "shares-containers", Image: image, Env: []corev1.EnvVar{{Name: image}},
				Ports:          []corev1.ContainerPort{{ContainerPort: port}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}}},
				Resources:      corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}}}},
		}}}}
	}
	var ds []*Deployment
	for _, d := range []*appsv1.Deployment{dep("a:1", 8080), dep("b:2", 8080), dep("a:1", 9090)} {
		got, err := Transform(d)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, got.(*Deployment))
	}
	ca, cb, cc := ds[0].Spec.Template.Spec.Containers, ds[1].Spec.Template.Spec.Containers, ds[2].Spec.Template.Spec.Containers
	if &ca[0] != &cb[0] {
		t.Errorf("equal trimmed containers are not shared")
	}
	if &ca[0] == &cc[0] || cc[0].Ports[0].ContainerPort != 9090 {
		t.Errorf("containers with different ports were shared: %+v", cc[0].Ports)
	}
}

// A Deployment keeps its strategy's type (Recreate matters to loss);
// the parameters nothing reads are dropped.
func TestTransformTrimsDeploymentStrategy(t *testing.T) {
	t.Parallel()
	surge, limit := intstr.FromString("25%"), int32(10)
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{RevisionHistoryLimit: &limit, ProgressDeadlineSeconds: &limit,
		Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge}}}}
	got, err := Transform(d)
	if err != nil {
		t.Fatal(err)
	}
	td := got.(*Deployment)
	if td.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy type %q, want Recreate", td.Spec.Strategy.Type)
	}
	if td.Spec.Strategy.RollingUpdate != nil {
		t.Errorf("kept what nothing reads: %+v", td.Spec)
	}
}

// Deployments whose trimmed pod specs are equal share one, whatever their
// names, labels and images; a difference analysis reads (a toleration)
// keeps them apart. Each keeps its own template labels.
func TestTransformSharesEqualPodSpecs(t *testing.T) {
	t.Parallel()
	dep := func(name, toleration string) *Deployment {
		replicas := int32(2)
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID(name)},
			Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
					Spec: corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: toleration, Operator: corev1.TolerationOpExists}},
						Containers: []corev1.Container{{Name: "shares-specs", Image: "registry/" + name + ":1",
							Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}}}}}}}
		got, err := Transform(d)
		if err != nil {
			t.Fatal(err)
		}
		return got.(*Deployment)
	}
	a, b, c := dep("spec-a", "shared"), dep("spec-b", "shared"), dep("spec-c", "other")
	if a.Spec.Template.Spec != b.Spec.Template.Spec {
		t.Errorf("equal trimmed pod specs are not shared")
	}
	if a.Spec.Template.Spec == c.Spec.Template.Spec || c.Spec.Template.Spec.Tolerations[0].Key != "other" {
		t.Errorf("pod specs with different tolerations were shared: %+v", c.Spec.Template.Spec.Tolerations)
	}
	if a.Spec.Template.Labels["app"] != "spec-a" || b.Spec.Template.Labels["app"] != "spec-b" || a.Spec.Selector.MatchLabels["app"] != "spec-a" ||
		*a.Spec.Replicas != 2 || a.Name != "spec-a" || a.UID != "spec-a" {
		t.Errorf("lost its own identity, replicas or labels: %+v", a)
	}
}

// Claims keep the volume they are bound to, volumes where they can be
// reached from; nothing else (sizes, sources, annotations, status).
func TestTransformTrimsClaimsAndVolumes(t *testing.T) {
	t.Parallel()
	affinity := &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
		MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}}}}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv", Labels: map[string]string{corev1.LabelTopologyZone: "a", "team": "x"}, Annotations: map[string]string{"x": "y"}},
		Spec: corev1.PersistentVolumeSpec{NodeAffinity: affinity, Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
	}
	got, err := Transform(pv)
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv", Labels: map[string]string{corev1.LabelTopologyZone: "a"}},
		Spec: corev1.PersistentVolumeSpec{NodeAffinity: affinity}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("volume: got %+v, want %+v", got, want)
	}
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "data-db-0", Labels: map[string]string{"app": "db"}},
		Spec:   corev1.PersistentVolumeClaimSpec{VolumeName: "pv", StorageClassName: new("zonal")},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
	got, err = Transform(pvc)
	if err != nil {
		t.Fatal(err)
	}
	wantClaim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "data-db-0"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv"}}
	if !reflect.DeepEqual(got, wantClaim) {
		t.Errorf("claim: got %+v, want %+v", got, wantClaim)
	}
}
