package collector_test

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestAPIServicesLive: aggregated APIs registered on the real API server
// (their Service does not exist: the aggregator marks them unavailable,
// which changes nothing here), read through the shipped role: one whose
// caBundle expires in 3 days, one skipping verification; the API server's
// own APIServices (no service) report nothing.
func TestAPIServicesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	bindShippedRole(t, env)
	ctx := context.Background()
	ca := testcerts.NewCA(t, "root").Intermediate(t, "metrics-ca", time.Now().Add(72*time.Hour).Truncate(time.Second))
	bundle := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Cert.Raw}))
	admin := dynamic.NewForConfigOrDie(env.Config)
	create := func(name, group string, spec map[string]any) {
		spec["group"], spec["version"] = group, "v1alpha1"
		spec["groupPriorityMinimum"], spec["versionPriority"] = int64(1000), int64(15)
		spec["service"] = map[string]any{"namespace": "monitoring", "name": "metrics", "port": int64(8443)}
		if _, err := admin.Resource(kube.APIServiceGVR).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": map[string]any{"name": name}, "spec": spec,
		}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create("v1alpha1.metrics.example.com", "metrics.example.com", map[string]any{"caBundle": bundle})
	create("v1alpha1.lazy.example.com", "lazy.example.com", map[string]any{"insecureSkipTLSVerify": true})

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	sa := env.ServiceAccountConfig("kube-reliability", "exporter")
	w := kube.NewAPIServiceWatcher(discovery.NewDiscoveryClientForConfigOrDie(sa), dynamic.NewForConfigOrDie(sa), 200*time.Millisecond, logger)
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go w.Run(runCtx)
	reg := registry(t, collector.Deps{Logger: logger, APIServices: w}, "apiservices")
	testenv.Eventually(t, 20*time.Second, expectation(t, reg, map[string]float64{
		`kube_reliability_apiservice_ca_expiry_timestamp_seconds{apiservice="v1alpha1.metrics.example.com",service="monitoring/metrics:8443"}`: float64(ca.Cert.Cert.NotAfter.Unix()),
		`kube_reliability_apiservice_insecure_skip_tls_verify{apiservice="v1alpha1.lazy.example.com",service="monitoring/metrics:8443"}`:       1,
		`kube_reliability_apiservice_ca_expiry_timestamp_seconds{apiservice="v1.apps",service=""}`:                                             -1,
		`kube_reliability_scrape_collector_success{collector="apiservices"}`:                                                                   1,
	}))
}
