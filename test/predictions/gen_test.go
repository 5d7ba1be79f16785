package predictions

import (
	"fmt"
	"math/rand/v2"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// Experiments a case runs.
const (
	NodeLoss = "node-loss"
	ZoneLoss = "zone-loss"
	Drain    = "drain"
)

// Priority classes every case may use, created once per control plane.
const (
	highPriority = "kre-high"
	lowPriority  = "kre-low"
)

// gpu is the extended resource some nodes offer, as a device plugin would.
const gpu = corev1.ResourceName("example.com/gpu")

// Case is one generated cluster and the experiment run on it.
type Case struct {
	Seed       uint64
	Namespace  string
	Experiment string
	Nodes      []testenv.NodeSpec
	Zones      []string
	// Deployments, StatefulSets and DaemonSets in creation order
	// (workloads with pod affinity come after the ones they follow).
	Deployments  []*appsv1.Deployment
	StatefulSets []*appsv1.StatefulSet
	DaemonSets   []*appsv1.DaemonSet
	PDBs         []*policyv1.PodDisruptionBudget
	// Volumes and Claims: StatefulSets' claims, each bound ahead to a
	// volume reachable from one zone (as a zonal cloud disk is).
	Volumes []*corev1.PersistentVolume
	Claims  []*corev1.PersistentVolumeClaim
	// Features lists what the case exercises, for the results table.
	Features map[string]bool
}

// generate builds case seed: a few zones of nodes with different
// allocatable (cpu, memory, pod count, a GPU on some), labels, taints and
// cordons, and workloads with the scheduling rules the simulation models.
func generate(seed uint64) *Case {
	r := rand.New(rand.NewPCG(seed, 0x6b7265))
	// Volumes draw from a stream of their own: cases keep the clusters
	// they had before volumes were generated.
	rv := rand.New(rand.NewPCG(seed, 0x766f6c))
	c := &Case{Seed: seed, Namespace: fmt.Sprintf("case-%d", seed), Features: map[string]bool{}}
	c.Experiment = []string{NodeLoss, ZoneLoss, Drain}[seed%3]
	chance := func(p float64) bool { return r.Float64() < p }
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }

	zones := 2 + r.IntN(2)
	for z := range zones {
		zone := fmt.Sprintf("zone-%c", 'a'+z)
		c.Zones = append(c.Zones, zone)
		for k := range 1 + r.IntN(3) {
			n := testenv.NodeSpec{
				Name: fmt.Sprintf("c%d-%c%d", seed, 'a'+z, k+1), Zone: zone,
				CPU: pick("2", "4", "4"), Memory: pick("4Gi", "8Gi"), Labels: map[string]string{},
			}
			if chance(0.15) {
				n.Pods = int64(3 + r.IntN(3))
				c.Features["pod_count"] = true
			}
			if chance(0.2) {
				n.Extended = corev1.ResourceList{gpu: *resource.NewQuantity(int64(1+r.IntN(2)), resource.DecimalSI)}
			}
			if chance(0.3) {
				n.Labels["disk"] = "ssd"
			}
			if chance(0.12) {
				n.Taints = []corev1.Taint{{Key: "dedicated", Value: "infra", Effect: corev1.TaintEffectNoSchedule}}
				c.Features["taint"] = true
			}
			if chance(0.08) {
				n.Unschedulable = true
				c.Features["cordon"] = true
			}
			c.Nodes = append(c.Nodes, n)
		}
	}

	apps := 3 + r.IntN(5)
	var names []string
	for k := range apps {
		name := fmt.Sprintf("app%d", k)
		replicas := int32(1 + r.IntN(4))
		t := testenv.PodTemplate(name)
		spec := &t.Spec
		req := corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(pick("100m", "250m", "500m", "1", "1500m")),
			corev1.ResourceMemory: resource.MustParse(pick("128Mi", "512Mi", "1Gi", "2Gi")),
		}
		if chance(0.12) {
			req[gpu] = resource.MustParse("1")
			spec.Containers[0].Resources.Limits = corev1.ResourceList{gpu: resource.MustParse("1")}
			c.Features["extended_resource"] = true
		}
		spec.Containers[0].Resources.Requests = req
		if chance(0.15) {
			spec.NodeSelector = map[string]string{"disk": "ssd"}
			c.Features["node_selector"] = true
		}
		if chance(0.15) {
			spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "infra", Effect: corev1.TaintEffectNoSchedule}}
		}
		own := &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
		affinity := &corev1.Affinity{}
		if chance(0.2) {
			affinity.PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{LabelSelector: own, TopologyKey: corev1.LabelHostname}}}
			c.Features["anti_affinity_host"] = true
		} else if chance(0.1) {
			affinity.PodAntiAffinity = &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{LabelSelector: own, TopologyKey: corev1.LabelTopologyZone}}}
			c.Features["anti_affinity_zone"] = true
		} else if chance(0.2) {
			affinity.PodAntiAffinity = &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: own, TopologyKey: corev1.LabelHostname}}}}
			c.Features["anti_affinity_preferred"] = true
		}
		if len(names) > 0 && chance(0.12) {
			other := names[r.IntN(len(names))]
			affinity.PodAffinity = &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": other}},
				TopologyKey:   pick(corev1.LabelTopologyZone, corev1.LabelHostname),
			}}}
			c.Features["pod_affinity"] = true
		}
		if affinity.PodAntiAffinity != nil || affinity.PodAffinity != nil {
			spec.Affinity = affinity
		}
		switch {
		case chance(0.2):
			tsc := corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: own}
			if chance(0.3) {
				tsc.MinDomains = new(int32(zones))
				c.Features["spread_min_domains"] = true
			}
			spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{tsc}
			c.Features["spread_zone"] = true
		case chance(0.1):
			spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: own}}
			c.Features["spread_host"] = true
		case chance(0.1):
			spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: own}}
			c.Features["spread_soft"] = true
		}
		switch {
		case chance(0.2):
			spec.PriorityClassName = highPriority
			c.Features["priority"] = true
		case chance(0.2):
			spec.PriorityClassName = lowPriority
		}
		if chance(0.08) {
			spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 8080, Protocol: corev1.ProtocolTCP}}
			c.Features["host_port"] = true
		}
		if chance(0.3) {
			s := &appsv1.StatefulSet{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace},
				Spec: appsv1.StatefulSetSpec{Replicas: &replicas, ServiceName: name, Selector: own, Template: t,
					PodManagementPolicy: appsv1.ParallelPodManagement},
			}
			c.StatefulSets = append(c.StatefulSets, s)
			c.Features["statefulset"] = true
			if rv.Float64() < 0.5 {
				c.zonalVolumes(s, rv)
			}
		} else {
			c.Deployments = append(c.Deployments, &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace},
				Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Selector: own, Template: t},
			})
		}
		if replicas > 1 && chance(0.25) {
			pdb := &policyv1.PodDisruptionBudget{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace},
				Spec:       policyv1.PodDisruptionBudgetSpec{Selector: own},
			}
			if chance(0.4) {
				pdb.Spec.MinAvailable = new(intstr.FromInt32(replicas))
				c.Features["pdb_blocking"] = true
			} else {
				pdb.Spec.MaxUnavailable = new(intstr.FromInt32(1))
				c.Features["pdb"] = true
			}
			c.PDBs = append(c.PDBs, pdb)
		}
		names = append(names, name)
	}
	if chance(0.4) {
		t := testenv.PodTemplate("agent")
		t.Spec.Containers[0].Resources.Requests = corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(pick("100m", "250m")),
			corev1.ResourceMemory: resource.MustParse("128Mi"),
		}
		c.DaemonSets = append(c.DaemonSets, &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: c.Namespace},
			Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}}, Template: t},
		})
		c.Features["daemonset"] = true
	}
	return c
}

// zonalVolumes gives s a claim template and binds each replica's claim
// ahead of time to a volume in a zone drawn from rv. The scheduler then
// keeps each pod in its volume's zone (VolumeBinding), and a pod whose
// zone is lost has nowhere to go.
func (c *Case) zonalVolumes(s *appsv1.StatefulSet, rv *rand.Rand) {
	const template = "data"
	size := resource.MustParse("1Gi")
	s.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{
		ObjectMeta: metav1.ObjectMeta{Name: template},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: new(""), Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}}},
	}}
	s.Spec.Template.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: template, MountPath: "/data"}}
	for k := range *s.Spec.Replicas {
		claim := fmt.Sprintf("%s-%s-%d", template, s.Name, k)
		zone := c.Zones[rv.IntN(len(c.Zones))]
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("c%d-%s-%d", c.Seed, s.Name, k)},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/" + claim}},
				ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: c.Namespace, Name: claim},
				NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
					MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{zone}}},
				}}}},
			},
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: claim, Namespace: c.Namespace, Labels: map[string]string{"app": s.Name}},
			Spec: corev1.PersistentVolumeClaimSpec{AccessModes: pv.Spec.AccessModes, StorageClassName: new(""), VolumeName: pv.Name,
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}}},
		}
		c.Volumes, c.Claims = append(c.Volumes, pv), append(c.Claims, pvc)
	}
	c.Features["zonal_volume"] = true
}

// workloadKey names a workload as the simulation does.
func workloadKey(namespace, kind, name string) string { return namespace + "/" + kind + "/" + name }
