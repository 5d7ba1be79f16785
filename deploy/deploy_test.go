package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	kre "github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

const base = "kustomize/base"

func read(t *testing.T, name string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(base, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// Every manifest in the directory is listed in the kustomization, and
// every listed file exists.
func TestKustomizationListsEveryFile(t *testing.T) {
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	read(t, "kustomization.yaml", &k)
	files, _ := filepath.Glob(filepath.Join(base, "*.yaml"))
	for _, f := range files {
		name := filepath.Base(f)
		if name != "kustomization.yaml" && !slices.Contains(k.Resources, name) {
			t.Errorf("%s is not listed in kustomization.yaml", name)
		}
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(base, r)); err != nil {
			t.Errorf("kustomization lists %s: %v", r, err)
		}
	}
}

// Least privilege: read-only verbs, no Secrets; non-root, read-only root
// filesystem, no capabilities, no privilege escalation.
func TestLeastPrivilege(t *testing.T) {
	var role rbacv1.ClusterRole
	read(t, "clusterrole.yaml", &role)
	for _, r := range role.Rules {
		if slices.Contains(r.Resources, "secrets") || slices.Contains(r.Resources, "*") {
			t.Errorf("base ClusterRole grants %v: Secrets belong in the optional helm-history role only", r.Resources)
		}
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("ClusterRole grants %q on %v", v, r.Resources)
			}
		}
	}
	var helm rbacv1.ClusterRole
	read(t, "../helm-history/clusterrole.yaml", &helm)
	for _, r := range helm.Rules {
		for _, v := range r.Verbs {
			if v != "list" && v != "watch" {
				t.Errorf("helm-history ClusterRole grants %q", v)
			}
		}
	}
	// The one write role: the exporter's own reports, nothing else.
	var reports rbacv1.ClusterRole
	read(t, "../policy-reports/clusterrole.yaml", &reports)
	if len(reports.Rules) != 1 || !slices.Equal(reports.Rules[0].APIGroups, []string{"wgpolicyk8s.io"}) ||
		!slices.Equal(reports.Rules[0].Resources, []string{"policyreports", "clusterpolicyreports"}) {
		t.Errorf("policy-reports ClusterRole grants %+v, want wgpolicyk8s.io policyreports and clusterpolicyreports only", reports.Rules)
	}
	var agentRole rbacv1.ClusterRole
	read(t, "agent-clusterrole.yaml", &agentRole)
	if len(agentRole.Rules) != 1 || !slices.Equal(agentRole.Rules[0].Resources, []string{"pods"}) || !slices.Equal(agentRole.Rules[0].Verbs, []string{"list", "watch"}) {
		t.Errorf("agent ClusterRole grants %+v, want list and watch of pods only", agentRole.Rules)
	}
	var ds appsv1.DaemonSet
	read(t, "daemonset.yaml", &ds)
	if psc := ds.Spec.Template.Spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Error("the agent does not run as a non-root user")
	}
	if ds.Spec.Template.Spec.ServiceAccountName != "kube-reliability-agent" {
		t.Error("the agent does not use its own ServiceAccount (pods list/watch only)")
	}
	for _, c := range ds.Spec.Template.Spec.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil ||
			!slices.Contains(sc.Capabilities.Drop, corev1.Capability("ALL")) ||
			!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"SYS_PTRACE", "DAC_READ_SEARCH"}) {
			t.Errorf("agent container %s: want a read-only root, all capabilities dropped but SYS_PTRACE and DAC_READ_SEARCH", c.Name)
		}
		if !slices.Equal(c.Command, []string{"/kube-reliability-agent"}) {
			t.Errorf("agent container %s runs %v, not the image's file-capability copy /kube-reliability-agent", c.Name, c.Command)
		}
		for _, m := range c.VolumeMounts {
			if !m.ReadOnly {
				t.Errorf("agent mount %s is writable", m.MountPath)
			}
		}
	}
	var d appsv1.Deployment
	read(t, "deployment.yaml", &d)
	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("pod does not require a non-root user")
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, corev1.Capability("ALL")) {
			t.Errorf("container %s: want read-only root filesystem, no privilege escalation, all capabilities dropped", c.Name)
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("container %s: liveness must be /healthz (process only)", c.Name)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("container %s: readiness must be /readyz", c.Name)
		}
	}
}

// The core manifests pass the real API server's validation (server-side
// dry run); the CRD-based ones (ServiceMonitor, PrometheusRule) are
// checked by the alerts package.
func TestManifestsValidateOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	ctx := context.Background()
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	var ns corev1.Namespace
	read(t, "namespace.yaml", &ns)
	if _, err := env.Client.CoreV1().Namespaces().Create(ctx, &ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var sa corev1.ServiceAccount
	read(t, "serviceaccount.yaml", &sa)
	var role rbacv1.ClusterRole
	read(t, "clusterrole.yaml", &role)
	var binding rbacv1.ClusterRoleBinding
	read(t, "clusterrolebinding.yaml", &binding)
	var d appsv1.Deployment
	read(t, "deployment.yaml", &d)
	var svc corev1.Service
	read(t, "service.yaml", &svc)
	var ds appsv1.DaemonSet
	read(t, "daemonset.yaml", &ds)
	var agentSA corev1.ServiceAccount
	read(t, "agent-serviceaccount.yaml", &agentSA)
	// The one write role: the exporter's own reports, nothing else.
	var reports rbacv1.ClusterRole
	read(t, "../policy-reports/clusterrole.yaml", &reports)
	if len(reports.Rules) != 1 || !slices.Equal(reports.Rules[0].APIGroups, []string{"wgpolicyk8s.io"}) ||
		!slices.Equal(reports.Rules[0].Resources, []string{"policyreports", "clusterpolicyreports"}) {
		t.Errorf("policy-reports ClusterRole grants %+v, want wgpolicyk8s.io policyreports and clusterpolicyreports only", reports.Rules)
	}
	var agentRole rbacv1.ClusterRole
	read(t, "agent-clusterrole.yaml", &agentRole)
	var agentBinding rbacv1.ClusterRoleBinding
	read(t, "agent-clusterrolebinding.yaml", &agentBinding)
	for name, err := range map[string]error{
		"agent serviceaccount": first(env.Client.CoreV1().ServiceAccounts(agentSA.Namespace).Create(ctx, &agentSA, dry)),
		"agent clusterrole":    first(env.Client.RbacV1().ClusterRoles().Create(ctx, &agentRole, dry)),
		"agent binding":        first(env.Client.RbacV1().ClusterRoleBindings().Create(ctx, &agentBinding, dry)),
		"serviceaccount":       first(env.Client.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, &sa, dry)),
		"clusterrole":          first(env.Client.RbacV1().ClusterRoles().Create(ctx, &role, dry)),
		"binding":              first(env.Client.RbacV1().ClusterRoleBindings().Create(ctx, &binding, dry)),
		"deployment":           first(env.Client.AppsV1().Deployments(d.Namespace).Create(ctx, &d, dry)),
		"daemonset":            first(env.Client.AppsV1().DaemonSets(ds.Namespace).Create(ctx, &ds, dry)),
		"service":              first(env.Client.CoreV1().Services(svc.Namespace).Create(ctx, &svc, dry)),
	} {
		if err != nil {
			t.Errorf("%s rejected by the API server: %v", name, err)
		}
	}
	if !strings.Contains(strings.Join(d.Spec.Template.Spec.Containers[0].Args, " "), "central") {
		t.Error("the Deployment does not run central mode")
	}
}

func first[T any](_ T, err error) error { return err }

// The scrape configuration keeps the labels the exporter sets: central's
// namespace label is the workload's (honorLabels), and the agent's pod
// target labels would pass a host nginx off as the agent's pod.
func TestMonitorsKeepExportedLabels(t *testing.T) {
	var sm struct {
		Spec struct {
			Endpoints []struct {
				HonorLabels bool `json:"honorLabels"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	readLoose(t, "servicemonitor.yaml", &sm)
	if len(sm.Spec.Endpoints) == 0 || !sm.Spec.Endpoints[0].HonorLabels {
		t.Error("ServiceMonitor: honorLabels must be true, or workload namespaces become exported_namespace")
	}
	var pm struct {
		Spec struct {
			PodMetricsEndpoints []struct {
				Relabelings []struct {
					Action string `json:"action"`
					Regex  string `json:"regex"`
				} `json:"relabelings"`
			} `json:"podMetricsEndpoints"`
		} `json:"spec"`
	}
	readLoose(t, "podmonitor.yaml", &pm)
	dropped := false
	for _, e := range pm.Spec.PodMetricsEndpoints {
		for _, r := range e.Relabelings {
			dropped = dropped || (r.Action == "labeldrop" && r.Regex == "namespace|pod|container")
		}
	}
	if !dropped {
		t.Error("PodMonitor: the agent's namespace/pod/container target labels must be dropped")
	}
}

// readLoose reads the fields into declares, ignoring the others (CRDs
// without Go types here).
func readLoose(t *testing.T, name string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(base, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The image says which commit it was built from: both binaries get the
// revision (kube_reliability_build_info{revision}), which the build passes
// in because .git stays out of the build context.
func TestImageCarriesTheRevision(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "version.Revision=${REVISION}"); n != 2 || !strings.Contains(string(b), "ARG REVISION") {
		t.Errorf("Dockerfile sets the revision in %d of 2 builds", n)
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil || !strings.Contains(string(ignore), ".git/") {
		t.Errorf(".dockerignore should leave .git out of the build context: %v", err)
	}
}

// Every kind the exporter reads (one line of cluster.Kinds) is listed and
// watched under the base ClusterRole: a kind added to the table without
// its rule would leave its analyses waiting forever on a real cluster.
func TestClusterRoleCoversEveryKind(t *testing.T) {
	var role rbacv1.ClusterRole
	read(t, "clusterrole.yaml", &role)
	granted := func(group, resource string) bool {
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) &&
				slices.Contains(r.Verbs, "list") && slices.Contains(r.Verbs, "watch") {
				return true
			}
		}
		return false
	}
	for _, k := range kre.Kinds {
		if !granted(k.Resource.Group, k.Resource.Resource) {
			t.Errorf("%s: clusterrole.yaml grants no list and watch of %s in group %q", k.Name, k.Resource.Resource, k.Resource.Group)
		}
	}
}
