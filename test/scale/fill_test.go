package scale

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
)

// shape is one cluster size: Deployments of 10 ready replicas (with their
// ReplicaSets), 30 pods per node, nodes in 3 zones, 100 Deployments per
// namespace (150,000 pods: 15,000 Deployments, 5,000 nodes, 150
// namespaces).
type shape struct {
	Pods, Nodes, Deployments, Namespaces int
}

const replicasPerDeployment = 10

func shapeFor(pods int) shape {
	d := max(1, pods/replicasPerDeployment)
	return shape{
		Pods:        d * replicasPerDeployment,
		Deployments: d,
		Nodes:       max(3, (d*replicasPerDeployment+29)/30),
		Namespaces:  max(1, (d+99)/100),
	}
}

// filler writes objects straight into the API server's etcd, encoded as
// the API server stores them (protobuf under /registry). Creating 150,000
// pods through the API server takes 10-45 minutes on 2 cores (two calls
// each: create, then status as a kubelet would); written here they take
// well under one, and the API server serves them exactly as if it had
// stored them itself: it lists them into its watch cache when it starts.
type filler struct {
	cli   *clientv3.Client
	codec runtime.Encoder
	now   metav1.Time

	mu   sync.Mutex
	ops  []clientv3.Op
	errs []error
	wg   sync.WaitGroup
	sem  chan struct{}
	n    int
}

func newFiller(t testing.TB, endpoint string) *filler {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 10 * time.Second,
		MaxCallSendMsgSize: 64 << 20})
	if err != nil {
		t.Fatalf("scale: etcd client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return &filler{
		cli:   cli,
		codec: protobuf.NewSerializer(scheme.Scheme, scheme.Scheme),
		now:   metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second)),
		sem:   make(chan struct{}, 8),
	}
}

// put queues one object under key; queued writes go out in transactions
// of 100 (etcd allows 128 operations per transaction), 8 at a time.
func (f *filler) put(key string, obj runtime.Object) {
	var buf bytes.Buffer
	if err := f.codec.Encode(obj, &buf); err != nil {
		f.fail(fmt.Errorf("encode %s: %w", key, err))
		return
	}
	f.mu.Lock()
	f.ops = append(f.ops, clientv3.OpPut("/registry/"+key, buf.String()))
	f.n++
	var batch []clientv3.Op
	if len(f.ops) >= 100 {
		batch, f.ops = f.ops, nil
	}
	f.mu.Unlock()
	if batch != nil {
		f.send(batch)
	}
}

func (f *filler) send(batch []clientv3.Op) {
	f.sem <- struct{}{}
	f.wg.Go(func() {
		defer func() { <-f.sem }()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := f.cli.Txn(ctx).Then(batch...).Commit(); err != nil {
			f.fail(fmt.Errorf("etcd write: %w", err))
		}
	})
}

func (f *filler) fail(err error) {
	f.mu.Lock()
	f.errs = append(f.errs, err)
	f.mu.Unlock()
}

// flush writes what is queued and waits for every write.
func (f *filler) flush(t testing.TB) {
	f.mu.Lock()
	batch := f.ops
	f.ops = nil
	f.mu.Unlock()
	if len(batch) > 0 {
		f.send(batch)
	}
	f.wg.Wait()
	if len(f.errs) > 0 {
		t.Fatalf("scale: fill: %v (and %d more)", f.errs[0], len(f.errs)-1)
	}
}

func uid(kind string, i int) types.UID {
	return types.UID(fmt.Sprintf("%08x-0000-4000-8000-%012x", kindNumber(kind), i))
}

func kindNumber(kind string) int {
	n := 0
	for _, c := range kind {
		n = n*31 + int(c)
	}
	return n & 0x7fffffff
}

// loopbackIP is a unique address in 127.0.0.0/8 for pod i: the health
// fetcher dials pods, and nothing may ever be dialled off this machine.
func loopbackIP(i int) string {
	i++
	return fmt.Sprintf("127.%d.%d.%d", 1+(i>>16)&0x7f, (i>>8)&0xff, i&0xff)
}

var zones = []string{"zone-a", "zone-b", "zone-c"}

// fill writes a cluster of shape s: namespaces with their default
// ServiceAccounts, nodes, Deployments with their ReplicaSets and ready
// pods, shaped as a real cluster's objects (defaults, tolerations, the
// service-account volume, managed fields, node images).
func fill(t testing.TB, etcdURL string, s shape) {
	f := newFiller(t, etcdURL)
	for n := range s.Namespaces {
		ns := nsName(n)
		f.put("namespaces/"+ns, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, UID: uid("ns", n), CreationTimestamp: f.now, Labels: map[string]string{"kubernetes.io/metadata.name": ns, "team": ns}},
			Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		})
		f.put("serviceaccounts/"+ns+"/default", &corev1.ServiceAccount{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns, UID: uid("sa", n), CreationTimestamp: f.now},
		})
	}
	for i := range s.Nodes {
		f.put("minions/"+nodeName(i), f.node(i))
	}
	for d := range s.Deployments {
		ns, name := nsName(d/100), fmt.Sprintf("app-%05d", d)
		dep := f.deployment(d, ns, name)
		f.put("deployments/"+ns+"/"+name, dep)
		rs := f.replicaSet(d, dep)
		f.put("replicasets/"+ns+"/"+rs.Name, rs)
		for r := range replicasPerDeployment {
			p := f.pod(d*replicasPerDeployment+r, rs, nodeName((d*replicasPerDeployment+r)%s.Nodes))
			f.put("pods/"+ns+"/"+p.Name, p)
		}
	}
	f.flush(t)
	t.Logf("scale: wrote %d objects to etcd", f.n)
}

func nsName(n int) string   { return fmt.Sprintf("team-%03d", n) }
func nodeName(i int) string { return fmt.Sprintf("node-%05d", i) }

func (f *filler) node(i int) *corev1.Node {
	name := nodeName(i)
	zone := zones[i%len(zones)]
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, LastHeartbeatTime: f.now, LastTransitionTime: f.now, Reason: reason, Message: "kubelet reports " + reason}
	}
	var images []corev1.ContainerImage
	for k := range 20 {
		images = append(images, corev1.ContainerImage{
			Names:     []string{fmt.Sprintf("registry.example/team/image-%02d@sha256:%064x", k, k), fmt.Sprintf("registry.example/team/image-%02d:v1.%d", k, k)},
			SizeBytes: int64(50_000_000 + k*1_000_000),
		})
	}
	res := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	return &corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: uid("node", i), CreationTimestamp: f.now,
			Labels: map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": "region-1",
				"node.kubernetes.io/instance-type": "m6i.2xlarge", "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
			},
			Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
		},
		Spec: corev1.NodeSpec{PodCIDR: "10.244.0.0/24", PodCIDRs: []string{"10.244.0.0/24"}, ProviderID: "example://" + name},
		Status: corev1.NodeStatus{
			Capacity: res, Allocatable: res,
			Conditions: []corev1.NodeCondition{
				cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory"),
				cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure"),
				cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID"),
				cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady"),
			},
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: loopbackIP(1_000_000 + i)}, {Type: corev1.NodeHostName, Address: name}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
			NodeInfo: corev1.NodeSystemInfo{MachineID: fmt.Sprintf("%032x", i), SystemUUID: string(uid("node", i)), BootID: string(uid("boot", i)),
				KernelVersion: "6.1.0-40-cloud-amd64", OSImage: "Debian GNU/Linux 12 (bookworm)", ContainerRuntimeVersion: "containerd://2.1.4",
				KubeletVersion: "v1.37.2", OperatingSystem: "linux", Architecture: "amd64"},
			Images: images,
		},
	}
}

func container(name string) corev1.Container {
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}},
			TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
		}
	}
	return corev1.Container{
		Name: "app", Image: "registry.example/team/" + name + ":v1.2.3",
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
		Env:   []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "SERVICE_NAME", Value: name}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		},
		LivenessProbe: probe("/health"), ReadinessProbe: probe("/ping"),
		TerminationMessagePath: corev1.TerminationMessagePathDefault, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		ImagePullPolicy: corev1.PullIfNotPresent,
	}
}

func podSpec(name string) corev1.PodSpec {
	grace := int64(30)
	return corev1.PodSpec{
		Containers: []corev1.Container{container(name)}, RestartPolicy: corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: &grace, DNSPolicy: corev1.DNSClusterFirst,
		SecurityContext: &corev1.PodSecurityContext{}, SchedulerName: corev1.DefaultSchedulerName,
	}
}

func (f *filler) deployment(d int, ns, name string) *appsv1.Deployment {
	replicas, history, deadline := int32(replicasPerDeployment), int32(10), int32(600)
	maxSurge, maxUnavailable := intstr.FromString("25%"), intstr.FromString("25%")
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: uid("deploy", d), CreationTimestamp: f.now, Generation: 1,
			Labels: labels, Annotations: map[string]string{"deployment.kubernetes.io/revision": "1"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(name)},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable}},
			RevisionHistoryLimit: &history, ProgressDeadlineSeconds: &deadline,
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: replicas, UpdatedReplicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, LastUpdateTime: f.now, LastTransitionTime: f.now, Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability."},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, LastUpdateTime: f.now, LastTransitionTime: f.now, Reason: "NewReplicaSetAvailable", Message: "ReplicaSet has successfully progressed."},
			}},
	}
}

func controllerRef(kind, apiVersion string, m *metav1.ObjectMeta) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: m.Name, UID: m.UID, Controller: &t, BlockOwnerDeletion: &t}}
}

func (f *filler) replicaSet(d int, dep *appsv1.Deployment) *appsv1.ReplicaSet {
	hash := strconv.FormatInt(int64(kindNumber(dep.Name))%1_000_000_000, 36)
	labels := map[string]string{"app": dep.Name, "pod-template-hash": hash}
	tmpl := dep.Spec.Template.DeepCopy()
	tmpl.Labels = labels
	return &appsv1.ReplicaSet{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{Name: dep.Name + "-" + hash, Namespace: dep.Namespace, UID: uid("rs", d), CreationTimestamp: f.now, Generation: 1,
			Labels: labels, OwnerReferences: controllerRef("Deployment", "apps/v1", &dep.ObjectMeta),
			Annotations: map[string]string{"deployment.kubernetes.io/desired-replicas": "10", "deployment.kubernetes.io/max-replicas": "13", "deployment.kubernetes.io/revision": "1"}},
		Spec: appsv1.ReplicaSetSpec{Replicas: dep.Spec.Replicas, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: *tmpl},
		Status: appsv1.ReplicaSetStatus{Replicas: replicasPerDeployment, FullyLabeledReplicas: replicasPerDeployment,
			ReadyReplicas: replicasPerDeployment, AvailableReplicas: replicasPerDeployment, ObservedGeneration: 1},
	}
}

// managedFields as the controller manager and the kubelet leave them:
// every real pod carries them, and they are a good part of its size on
// the wire.
var (
	specFields   = `{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"x\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{".":{},"k:{\"name\":\"LOG_LEVEL\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"SERVICE_NAME\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:imagePullPolicy":{},"f:livenessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},"f:readinessProbe":{".":{},"f:failureThreshold":{},"f:httpGet":{".":{},"f:path":{},"f:port":{},"f:scheme":{}},"f:periodSeconds":{},"f:successThreshold":{},"f:timeoutSeconds":{}},"f:resources":{".":{},"f:limits":{".":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}`
	statusFields = `{"f:status":{"f:conditions":{"k:{\"type\":\"ContainersReady\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Initialized\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"PodReadyToStartContainers\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:hostIPs":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\"127.0.0.1\"}":{".":{},"f:ip":{}}},"f:startTime":{}}}`
)

func (f *filler) pod(i int, rs *appsv1.ReplicaSet, node string) *corev1.Pod {
	name := fmt.Sprintf("%s-%05x", rs.Name, i&0xfffff)
	spec := *rs.Spec.Template.Spec.DeepCopy()
	spec.NodeName = node
	spec.ServiceAccountName = "default"
	spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "kube-api-access", ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}}
	expiry, mode := int64(3607), int32(420)
	spec.Volumes = []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: &mode,
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: &expiry, Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
		},
	}}}}
	toleration := int64(300)
	spec.Tolerations = []corev1.Toleration{
		{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &toleration},
		{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &toleration},
	}
	ip := loopbackIP(i)
	cond := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: f.now}
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, GenerateName: rs.Name + "-", Namespace: rs.Namespace, UID: uid("pod", i), CreationTimestamp: f.now,
			Labels: rs.Spec.Template.Labels, OwnerReferences: controllerRef("ReplicaSet", "apps/v1", &rs.ObjectMeta),
			ManagedFields: []metav1.ManagedFieldsEntry{
				{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", Time: &f.now, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(specFields)},
				{Manager: "kubelet", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "v1", Time: &f.now, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(statusFields), Subresource: "status"},
			}},
		Spec: spec,
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, QOSClass: corev1.PodQOSBurstable, StartTime: &f.now,
			HostIP: loopbackIP(1_000_000), HostIPs: []corev1.HostIP{{IP: loopbackIP(1_000_000)}},
			PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{cond("PodReadyToStartContainers"), cond(corev1.PodInitialized), cond(corev1.PodReady), cond(corev1.ContainersReady), cond(corev1.PodScheduled)},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Ready: true, Started: new(true), Image: spec.Containers[0].Image,
				ImageID:     "registry.example/team/app@sha256:" + fmt.Sprintf("%064x", i),
				ContainerID: "containerd://" + fmt.Sprintf("%064x", i),
				State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: f.now}},
			}},
		},
	}
}
