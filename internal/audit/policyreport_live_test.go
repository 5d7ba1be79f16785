package audit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/internal/audit"
	"github.com/kube-reliability/kube-reliability-exporter/internal/healthcheck"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestPolicyReportsAcceptedByTheUpstreamCRD: audit's policyreport output
// for the shipped example manifests is created, with strict field
// validation, on a real API server serving Kyverno's PolicyReport and
// ClusterPolicyReport CRDs, and reads back unpruned: one result per
// finding, each with its rule, severity, category, object and message.
func TestPolicyReportsAcceptedByTheUpstreamCRD(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	rep := audit.Run([]string{"../../examples/manifests"}, nil, healthcheck.Config{})
	if len(rep.Findings) < 5 {
		t.Fatalf("%d findings in the example manifests: too few to prove anything", len(rep.Findings))
	}
	var out bytes.Buffer
	if err := rep.Write(&out, "policyreport"); err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t)
	env.InstallPolicyReportCRDs()
	dyn := dynamic.NewForConfigOrDie(env.Config)
	ctx := context.Background()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out.Bytes()), 4096)
	results, reports := 0, 0
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode the output: %v\n%s", err, out.String())
		}
		gvr := schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
		var ri dynamic.ResourceInterface = dyn.Resource(gvr).Namespace(obj.GetNamespace())
		if obj.GetKind() == "ClusterPolicyReport" {
			gvr.Resource = "clusterpolicyreports"
			ri = dyn.Resource(gvr)
		} else {
			env.EnsureNamespace(obj.GetNamespace())
		}
		// Strict: a field the CRD's schema does not know is an error, not
		// silently pruned.
		created, err := ri.Create(ctx, &obj, metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			t.Fatalf("the API server refuses %s %s/%s: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
		}
		reports++
		got, _, _ := unstructured.NestedSlice(created.Object, "results")
		results += len(got)
		for _, r := range got {
			m := r.(map[string]any)
			res, _ := m["resources"].([]any)
			if m["policy"] != "kube-reliability-exporter" || m["rule"] == "" || m["category"] == "" || m["message"] == "" ||
				m["result"] != "fail" && m["result"] != "skip" || len(res) != 1 || !strings.Contains("critical medium info", m["severity"].(string)) {
				t.Errorf("result lost a field: %v", m)
			}
		}
		fail, _, _ := unstructured.NestedInt64(created.Object, "summary", "fail")
		skip, _, _ := unstructured.NestedInt64(created.Object, "summary", "skip")
		if int(fail+skip) != len(got) {
			t.Errorf("%s/%s: summary fail %d + skip %d for %d results", obj.GetNamespace(), obj.GetName(), fail, skip, len(got))
		}
	}
	if want := len(rep.Findings) + len(rep.Ignored); results != want || reports < 2 {
		t.Errorf("%d results in %d reports, want one per finding (%d)", results, reports, want)
	}
}
