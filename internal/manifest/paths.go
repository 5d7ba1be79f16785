package manifest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-reliability/kube-reliability-exporter/internal/chart"
	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"

	"github.com/kube-reliability/kube-reliability-exporter/internal/bounded"
)

// MaxFileBytes bounds one input file.
const MaxFileBytes = 256 << 20

// Stdin is what the path "-" reads (helm template … | audit -).
var Stdin io.Reader = os.Stdin

// HelmValues are the values files a chart directory is rendered with (as
// helm template -f), and HelmRelease its release.
var (
	HelmValues  []string
	HelmRelease = chart.Release{Name: "release", Namespace: "default"}
)

// DecodePaths decodes every .yaml, .yml and .json file named or found
// under the given directories, standard input for "-", a Helm chart
// directory (a Chart.yaml) as helm template renders it and a kustomization
// directory as kustomize builds it, wherever they are found. An
// unreadable path is an error of its own; decoding goes on with the rest.
func DecodePaths(paths []string) Result {
	var all Result
	add := func(r Result) {
		all.Objects = append(all.Objects, r.Objects...)
		all.Errors = append(all.Errors, r.Errors...)
		all.Skipped = append(all.Skipped, r.Skipped...)
	}
	for _, p := range paths {
		if p == "-" {
			data, err := bounded.Read(Stdin, MaxFileBytes)
			if err != nil {
				all.Errors = append(all.Errors, &DecodeError{File: "-", Err: fmt.Errorf("read standard input: %w", err)})
			} else {
				add(Decode("-", data))
			}
			continue
		}
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				all.Errors = append(all.Errors, &DecodeError{File: path, Line: 0, Err: err})
				return nil
			}
			if d.IsDir() {
				if chart.IsChart(path) {
					add(renderChart(path))
					return filepath.SkipDir
				}
				if found, component := isKustomization(path); found {
					if !component {
						add(buildKustomization(path))
					}
					return filepath.SkipDir
				}
				return nil
			}
			// Files named explicitly are read whatever their extension.
			if path != p && !isManifest(path) {
				return nil
			}
			data, err := bounded.ReadFile(path, MaxFileBytes)
			if err != nil {
				all.Errors = append(all.Errors, &DecodeError{File: path, Err: err})
				return nil
			}
			r := Decode(path, data)
			all.Objects = append(all.Objects, r.Objects...)
			all.Errors = append(all.Errors, r.Errors...)
			all.Skipped = append(all.Skipped, r.Skipped...)
			return nil
		})
		if err != nil {
			all.Errors = append(all.Errors, &DecodeError{File: p, Err: err})
		}
	}
	return all
}

func isManifest(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Snapshot builds the analyzers' input from decoded objects. Manifests
// written by hand carry no UIDs and often no namespace: an object without
// a namespace is placed in "default" (as kubectl apply would with the
// default context), and one without a UID gets a stable synthetic UID, so
// pods that name their owner by UID (a dump) and workloads that have none
// (a manifest) both work.
func Snapshot(objs []Object) *cluster.Snapshot {
	s := &cluster.Snapshot{}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *corev1.Node:
			s.Nodes = append(s.Nodes, v)
		case *corev1.Pod:
			fill(&v.ObjectMeta, "Pod")
			s.Pods = append(s.Pods, cluster.PodFrom(v))
		case *appsv1.Deployment:
			fill(&v.ObjectMeta, "Deployment")
			s.Deployments = append(s.Deployments, v)
		case *appsv1.StatefulSet:
			fill(&v.ObjectMeta, "StatefulSet")
			s.StatefulSets = append(s.StatefulSets, v)
		case *appsv1.ReplicaSet:
			fill(&v.ObjectMeta, "ReplicaSet")
			s.ReplicaSets = append(s.ReplicaSets, v)
		case *appsv1.DaemonSet:
			fill(&v.ObjectMeta, "DaemonSet")
			s.DaemonSets = append(s.DaemonSets, v)
		case *policyv1.PodDisruptionBudget:
			fill(&v.ObjectMeta, "PodDisruptionBudget")
			s.PodDisruptionBudgets = append(s.PodDisruptionBudgets, v)
		case *corev1.Namespace:
			s.Namespaces = append(s.Namespaces, v)
		case *corev1.ResourceQuota:
			fill(&v.ObjectMeta, "ResourceQuota")
			s.ResourceQuotas = append(s.ResourceQuotas, v)
		case *corev1.LimitRange:
			fill(&v.ObjectMeta, "LimitRange")
			s.LimitRanges = append(s.LimitRanges, v)
		case *networkingv1.IngressClass:
			s.IngressClasses = append(s.IngressClasses, v)
		case *autoscalingv2.HorizontalPodAutoscaler:
			fill(&v.ObjectMeta, "HorizontalPodAutoscaler")
			s.HorizontalPodAutoscalers = append(s.HorizontalPodAutoscalers, v)
		case *admissionregistrationv1.ValidatingWebhookConfiguration:
			s.ValidatingWebhookConfigurations = append(s.ValidatingWebhookConfigurations, v)
		case *admissionregistrationv1.MutatingWebhookConfiguration:
			s.MutatingWebhookConfigurations = append(s.MutatingWebhookConfigurations, v)
		case *ScaledObject:
			fill(&v.ObjectMeta, "ScaledObject")
			kind := v.Spec.ScaleTargetRef.Kind
			if kind == "" {
				kind = cluster.KindDeployment // KEDA's default
			}
			var minimum int32
			if v.Spec.MinReplicaCount != nil {
				minimum = *v.Spec.MinReplicaCount
			}
			s.ScaledObjects = append(s.ScaledObjects, cluster.ScaledObject{Namespace: v.Namespace, Name: v.Name,
				TargetKind: kind, TargetName: v.Spec.ScaleTargetRef.Name, MinReplicaCount: minimum})
		case *networkingv1.Ingress:
			fill(&v.ObjectMeta, "Ingress")
			s.Ingresses = append(s.Ingresses, v)
		case *corev1.Service:
			fill(&v.ObjectMeta, "Service")
			s.Services = append(s.Services, v)
		case *corev1.PersistentVolumeClaim:
			fill(&v.ObjectMeta, "PersistentVolumeClaim")
			s.PersistentVolumeClaims = append(s.PersistentVolumeClaims, v)
		case *corev1.PersistentVolume:
			s.PersistentVolumes = append(s.PersistentVolumes, v)
		}
	}
	return s
}

func fill(m *metav1.ObjectMeta, kind string) {
	if m.Namespace == "" {
		m.Namespace = metav1.NamespaceDefault
	}
	if m.UID == "" {
		m.UID = types.UID("manifest:" + kind + "/" + m.Namespace + "/" + m.Name)
	}
}
