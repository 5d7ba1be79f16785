package collector_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/kube"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// recorder keeps every response body the exporter's client receives.
type recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

type teeBody struct {
	io.ReadCloser
	r *recorder
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.r.mu.Lock()
	t.r.buf.Write(p[:n])
	t.r.mu.Unlock()
	return n, err
}

type recordingTransport struct {
	rt http.RoundTripper
	r  *recorder
}

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = teeBody{resp.Body, t.r}
	}
	return resp, err
}

func (r *recorder) contains(b []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Contains(r.buf.Bytes(), b)
}

func helmSet(t *testing.T, cfg *rest.Config) (*prometheus.Registry, func()) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := kube.NewHelm(metadata.NewForConfigOrDie(cfg), 0, logger)
	if err != nil {
		t.Fatal(err)
	}
	stop := h.Start(context.Background())
	set, err := collector.NewSet([]*collector.Spec{mustSpec(t, "helm")}, collector.Deps{Logger: logger, Helm: h}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(set)
	return reg, stop
}

// TestHelmHistoryLive creates Helm 3 releases of 12 and 3 revisions and a
// Helm 2 release as real labelled Secrets and ConfigMaps, counts them as
// the shipped roles allow, and proves the exporter never receives a
// Secret's data. Without the optional role, the storages are unavailable
// and the scrape still succeeds.
func TestHelmHistoryLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	ctx := context.Background()
	const marker = "release-payload-that-must-never-leave-the-api-server"
	env.EnsureNamespace("shop")
	env.EnsureNamespace("kube-system")
	mkSecret := func(release string, v int, lbl map[string]string) {
		_, err := env.Client.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", release, v), Labels: lbl},
			Type:       "helm.sh/release.v1",
			Data:       map[string][]byte{"release": []byte(marker)},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	for release, revisions := range map[string]int{"storefront": 12, "ledger": 3} {
		for v := 1; v <= revisions; v++ {
			mkSecret(release, v, map[string]string{"owner": "helm", "name": release, "version": fmt.Sprint(v)})
		}
	}
	mkSecret("broken", 1, map[string]string{"owner": "helm"}) // no release name label
	for v := 1; v <= 2; v++ {
		_, err := env.Client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("old.v%d", v), Labels: map[string]string{"OWNER": "TILLER", "NAME": "old", "VERSION": fmt.Sprint(v)}},
			Data:       map[string]string{"release": marker},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Without the optional role: unavailable, no revisions, scrape fine.
	bindShippedRole(t, env)
	base := env.ServiceAccountConfig("kube-reliability", "exporter")
	reg, stop := helmSet(t, base)
	testenv.Eventually(t, 10*time.Second, expectation(t, reg, map[string]float64{
		`kube_reliability_helm_storage_available{storage="secret"}`:                                       0,
		`kube_reliability_helm_storage_available{storage="tiller"}`:                                       0,
		`kube_reliability_helm_release_revisions{namespace="shop",release="storefront",storage="secret"}`: -1,
		`kube_reliability_scrape_collector_success{collector="helm"}`:                                     1,
	}))
	stop()

	// With it: exact counts, and no byte of release data received.
	bindRole(t, env, "../deploy/kustomize/helm-history/clusterrole.yaml")
	rec := &recorder{}
	cfg := rest.CopyConfig(base)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return recordingTransport{rt, rec} }
	reg, stop = helmSet(t, cfg)
	defer stop()
	testenv.Eventually(t, 30*time.Second, expectation(t, reg, map[string]float64{
		`kube_reliability_helm_release_revisions{namespace="shop",release="storefront",storage="secret"}`: 12,
		`kube_reliability_helm_release_revisions{namespace="shop",release="ledger",storage="secret"}`:     3,
		`kube_reliability_helm_release_revisions{namespace="kube-system",release="old",storage="tiller"}`: 2,
		`kube_reliability_helm_invalid_release_objects{storage="secret"}`:                                 1,
		`kube_reliability_helm_storage_available{storage="secret"}`:                                       1,
		`kube_reliability_helm_storage_available{storage="configmap"}`:                                    1,
	}))
	if !rec.contains([]byte("sh.helm.release.v1.storefront.v12")) {
		t.Fatal("the recorder saw no release metadata: it records nothing, and proves nothing")
	}
	for _, leak := range [][]byte{[]byte(marker), []byte(base64.StdEncoding.EncodeToString([]byte(marker)))} {
		if rec.contains(leak) {
			t.Errorf("the exporter received release data (%q)", leak)
		}
	}
}
