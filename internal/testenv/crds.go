package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// PrometheusOperatorVersion is the prometheus-operator release whose CRDs
// (ServiceMonitor, PodMonitor, PrometheusRule…) the tests install.
const PrometheusOperatorVersion = "v0.85.0"

// ModuleDir downloads module@version through the Go module proxy (the
// same one builds use) and returns its directory: upstream CRDs ship in
// their projects' Go modules.
func ModuleDir(t testing.TB, module, version string) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", module+"@"+version).Output()
	if err != nil {
		t.Fatalf("testenv: go mod download %s@%s: %v", module, version, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("testenv: go mod download %s@%s: %v %s", module, version, err, m.Error)
	}
	return m.Dir
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// KEDAVersion is the KEDA release whose ScaledObject CRD the tests install.
const KEDAVersion = "v2.21.0"

// KyvernoVersion is the Kyverno release whose wgpolicyk8s.io PolicyReport
// and ClusterPolicyReport CRDs (what Kyverno's Policy Reporter reads) the
// tests install.
const KyvernoVersion = "v1.19.1"

// ChaosMeshVersion is the Chaos Mesh commit whose CRDs (StatusCheck,
// Workflow) the tests install: its module has no tagged Go version.
const ChaosMeshVersion = "v0.9.1-0.20260902003049-47411975a8cb"

// InstallPolicyReportCRDs installs the PolicyReport and ClusterPolicyReport
// CRDs from Kyverno's Go module and waits until the API server serves them.
func (e *Env) InstallPolicyReportCRDs() {
	e.t.Helper()
	dir := filepath.Join(ModuleDir(e.t, "github.com/kyverno/kyverno", KyvernoVersion), "config", "crds", "policyreport")
	e.installCRDs([]string{filepath.Join(dir, "wgpolicyk8s.io_policyreports.yaml"), filepath.Join(dir, "wgpolicyk8s.io_clusterpolicyreports.yaml")})
}

// InstallChaosMeshCRDs installs Chaos Mesh's StatusCheck and Workflow CRDs
// from its Go module and waits until the API server serves them.
func (e *Env) InstallChaosMeshCRDs() {
	e.t.Helper()
	dir := filepath.Join(ModuleDir(e.t, "github.com/chaos-mesh/chaos-mesh", ChaosMeshVersion), "config", "crd", "bases")
	e.installCRDs([]string{filepath.Join(dir, "chaos-mesh.org_statuschecks.yaml"), filepath.Join(dir, "chaos-mesh.org_workflows.yaml")})
}

// InstallPrometheusOperatorCRDs installs prometheus-operator's CRDs and
// waits until the API server serves them.
func (e *Env) InstallPrometheusOperatorCRDs() {
	e.t.Helper()
	dir := filepath.Join(ModuleDir(e.t, "github.com/prometheus-operator/prometheus-operator", PrometheusOperatorVersion), "example", "prometheus-operator-crd")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		e.t.Fatalf("testenv: no CRDs in %s: %v", dir, err)
	}
	e.installCRDs(files)
}

// InstallKEDAScaledObjectCRD installs KEDA's ScaledObject CRD, from KEDA's
// Go module, and waits until the API server serves it.
func (e *Env) InstallKEDAScaledObjectCRD() {
	e.t.Helper()
	e.installCRDs([]string{filepath.Join(ModuleDir(e.t, "github.com/kedacore/keda/v2", KEDAVersion), "config", "crd", "bases", "keda.sh_scaledobjects.yaml")})
}

func (e *Env) installCRDs(files []string) {
	e.t.Helper()
	dyn := dynamic.NewForConfigOrDie(e.Config)
	ctx := context.Background()
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		var crd unstructured.Unstructured
		if err := yaml.Unmarshal(b, &crd.Object); err != nil {
			e.t.Fatalf("testenv: %s: %v", f, err)
		}
		if _, err := dyn.Resource(crdGVR).Create(ctx, &crd, metav1.CreateOptions{}); err != nil {
			e.t.Fatalf("testenv: install %s: %v", filepath.Base(f), err)
		}
		names = append(names, crd.GetName())
	}
	Eventually(e.t, 60*time.Second, func() error {
		for _, n := range names {
			crd, err := dyn.Resource(crdGVR).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return err
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			established := false
			for _, c := range conds {
				if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
					established = true
				}
			}
			if !established {
				return fmt.Errorf("CRD %s not established", n)
			}
		}
		return nil
	})
}

// CertManagerVersion is the cert-manager release whose Certificate CRD
// the tests install.
const CertManagerVersion = "v1.21.2"

// InstallCertManagerCertificateCRD installs cert-manager's Certificate
// CRD, from cert-manager's Go module, and waits until the API server
// serves it.
func (e *Env) InstallCertManagerCertificateCRD() {
	e.t.Helper()
	e.installCRDs([]string{filepath.Join(ModuleDir(e.t, "github.com/cert-manager/cert-manager", CertManagerVersion), "deploy", "crds", "cert-manager.io_certificates.yaml")})
}
