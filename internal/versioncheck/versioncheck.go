package versioncheck

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/controllerversions"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kubeversions"
	"github.com/kube-reliability/kube-reliability-exporter/internal/versiontable"
)

// Components whose versions nodes run.
const (
	Kubelet   = "kubelet"
	KubeProxy = "kube-proxy"
)

// NodeVersion is what one node runs; an empty version is unknown.
type NodeVersion struct {
	Node               string
	Kubelet, KubeProxy string
}

// Nodes returns every node's kubelet and kube-proxy versions, by name.
// kube-proxy's is the node's status.nodeInfo.kubeProxyVersion where the
// kubelet still reports it (it stopped in 1.31+ kubelets), else the image
// tag of a kube-proxy pod on the node (a DaemonSet's template), else
// unknown.
func Nodes(s *cluster.Snapshot) []NodeVersion {
	proxy := map[string]string{}
	for _, w := range cluster.Workloads(s) {
		if w.Kind != cluster.KindDaemonSet || w.Template == nil || w.Template.Spec == nil {
			continue
		}
		tag := kubeProxyTag(w.Template.Spec.Containers)
		if tag == "" {
			continue
		}
		for _, p := range w.Pods {
			if p.NodeName != "" && !p.Terminating {
				proxy[p.NodeName] = tag
			}
		}
	}
	out := make([]NodeVersion, 0, len(s.Nodes))
	for _, n := range s.Nodes {
		//lint:ignore SA1019 kubelets before 1.31 still report it, and it is their kube-proxy's version
		nv := NodeVersion{Node: n.Name, Kubelet: n.Status.NodeInfo.KubeletVersion, KubeProxy: n.Status.NodeInfo.KubeProxyVersion}
		if v, err := versiontable.ParseVersion(nv.KubeProxy); err != nil || v == (versiontable.Version{}) {
			nv.KubeProxy = proxy[n.Name] // "v0.0.0" or empty: not reported
		}
		out = append(out, nv)
	}
	slices.SortFunc(out, func(a, b NodeVersion) int { return cmp.Compare(a.Node, b.Node) })
	return out
}

func kubeProxyTag(cs []corev1.Container) string {
	for _, c := range cs {
		if cluster.IsKubeProxyImage(c.Image) {
			_, tag := controllerversions.Split(c.Image)
			return tag
		}
	}
	return ""
}

// Violation is a node component past the skew policy.
type Violation struct {
	Node, Component, Version string
	// Minors is how many minors it is older than the API server
	// (negative: newer).
	Minors int
}

// Judgement is the nodes' versions judged against the API server's.
type Judgement struct {
	// ByVersion counts nodes by component and version ("" unknown).
	ByVersion map[[2]string]int
	// Unknown counts nodes whose component version is unknown or does
	// not parse, by component.
	Unknown    map[string]int
	Violations []Violation
}

// Judge judges nodes against the API server's version.
func Judge(nodes []NodeVersion, apiserver versiontable.Version) Judgement {
	j := Judgement{ByVersion: map[[2]string]int{}, Unknown: map[string]int{Kubelet: 0, KubeProxy: 0}}
	for _, n := range nodes {
		for _, c := range [][2]string{{Kubelet, n.Kubelet}, {KubeProxy, n.KubeProxy}} {
			v, err := versiontable.ParseVersion(c[1])
			if err != nil {
				j.Unknown[c[0]]++
				continue
			}
			j.ByVersion[[2]string{c[0], c[1]}]++
			if minors, bad := kubeversions.Skew(apiserver, v); bad {
				j.Violations = append(j.Violations, Violation{Node: n.Node, Component: c[0], Version: c[1], Minors: minors})
			}
		}
	}
	return j
}

// ControllerWorkload is a workload running a known controller's image.
type ControllerWorkload struct {
	Namespace, Kind, Name string
	Controller            string
	// Version is the image tag; Unknown says why it cannot be judged.
	Version, Unknown string
	// Pods are the workload's pods that are not terminating.
	Pods   int
	Issues []versiontable.Issue
}

// Controllers finds the workloads whose template runs a known controller
// image and judges its version. During a rollout the version is the one
// being rolled out (the workload's template).
func Controllers(s *cluster.Snapshot, t *controllerversions.Table) []ControllerWorkload {
	var out []ControllerWorkload
	for _, w := range cluster.Workloads(s) {
		if w.Template == nil || w.Template.Spec == nil {
			continue
		}
		for _, c := range w.Template.Spec.Containers {
			im, err := t.Identify(c.Image)
			if err != nil {
				continue
			}
			cw := ControllerWorkload{Namespace: w.Meta.Namespace, Kind: w.Kind, Name: w.Meta.Name,
				Controller: im.Controller, Version: im.Version, Unknown: im.Unknown}
			for _, p := range w.Pods {
				if !p.Terminating {
					cw.Pods++
				}
			}
			if im.Unknown == "" {
				cw.Issues = t.Issues(im.Controller, im.Parsed)
			}
			out = append(out, cw)
			break
		}
	}
	return out
}
