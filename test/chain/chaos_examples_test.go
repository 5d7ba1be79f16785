package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestChaosMeshExamples: examples/chaos-mesh's StatusCheck and Workflow
// are accepted, with strict field validation, by Chaos Mesh's CRDs on a
// real API server, and every URL they check answers on a running
// exporter (demo mode) with 200 or 503 - a hypothesis that exists.
func TestChaosMeshExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	env.InstallChaosMeshCRDs()
	env.EnsureNamespace("chaos-mesh")
	dyn := dynamic.NewForConfigOrDie(env.Config)
	demo, _ := startExporter(t, "demo")
	ctx := context.Background()
	resources := map[string]string{"StatusCheck": "statuschecks", "Workflow": "workflows"}
	var urls []string
	for _, f := range []string{"statuscheck.yaml", "workflow.yaml"} {
		b, err := os.ReadFile("../../examples/chaos-mesh/" + f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var obj unstructured.Unstructured
			if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			gvr := schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: resources[obj.GetKind()]}
			if _, err := dyn.Resource(gvr).Namespace(obj.GetNamespace()).Create(ctx, &obj, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
				t.Errorf("%s: the API server refuses %s %s: %v", f, obj.GetKind(), obj.GetName(), err)
			}
			urls = append(urls, httpURLs(obj.Object)...)
		}
	}
	if len(urls) != 2 {
		t.Fatalf("URLs checked by the examples: %v, want 2", urls)
	}
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(demo + p.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 503 {
			t.Errorf("%s on the exporter: %d, want 200 or 503", p.RequestURI(), resp.StatusCode)
		}
	}
}

// httpURLs finds every http.url in an object.
func httpURLs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if h, ok := x["http"].(map[string]any); ok {
			if u, ok := h["url"].(string); ok && strings.HasPrefix(u, "http") {
				out = append(out, u)
			}
		}
		for _, c := range x {
			out = append(out, httpURLs(c)...)
		}
	case []any:
		for _, c := range x {
			out = append(out, httpURLs(c)...)
		}
	}
	return out
}

// TestLitmusExample: examples/litmus's probes work against the exporter
// and Prometheus: the httpProbe's URL answers 200 or 503 on a running
// exporter, and the promProbe's query returns exactly one series (the
// comparator needs one) from a real Prometheus scraping it. Litmus's CRD
// ships in no Go module these tests can fetch: the ChaosEngine's shape is
// not checked here.
func TestLitmusExample(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and an exporter")
	}
	b, err := os.ReadFile("../../examples/litmus/chaosengine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var engine struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Experiments []struct {
				Spec struct {
					Probe []struct {
						Name, Type, Mode string
						HTTP             *struct {
							URL string `json:"url"`
						} `json:"httpProbe/inputs"`
						Prom *struct {
							Query      string                           `json:"query"`
							Comparator struct{ Criteria, Value string } `json:"comparator"`
						} `json:"promProbe/inputs"`
					} `json:"probe"`
				} `json:"spec"`
			} `json:"experiments"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &engine); err != nil {
		t.Fatal(err)
	}
	if engine.APIVersion != "litmuschaos.io/v1alpha1" || engine.Kind != "ChaosEngine" || len(engine.Spec.Experiments) != 1 {
		t.Fatalf("not one ChaosEngine experiment: %+v", engine)
	}
	demo, _ := startExporter(t, "demo")
	prom := testenv.StartPrometheus(t, fmt.Sprintf(`
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kube-reliability-exporter
    honor_labels: true
    static_configs: [{targets: [%q]}]
`, strings.TrimPrefix(demo, "http://")), nil)
	probes := 0
	for _, p := range engine.Spec.Experiments[0].Spec.Probe {
		switch {
		case p.HTTP != nil:
			u, err := url.Parse(p.HTTP.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(demo + u.RequestURI())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 && resp.StatusCode != 503 {
				t.Errorf("%s: %s answers %d, want 200 or 503", p.Name, u.RequestURI(), resp.StatusCode)
			}
			probes++
		case p.Prom != nil:
			testenv.Eventually(t, 30*time.Second, func() error {
				r, err := prom.Query(p.Prom.Query)
				if err != nil {
					return err
				}
				if len(r) != 1 || (r[0].Value[1] != "0" && r[0].Value[1] != "1") {
					return fmt.Errorf("%s: %s returns %+v, want one series of 0 or 1", p.Name, p.Prom.Query, r)
				}
				return nil
			})
			probes++
		}
	}
	if probes != 2 {
		t.Errorf("%d probes checked, want the httpProbe and the promProbe", probes)
	}
}
