package collector_test

import (
	"context"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/collector"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testenv"
)

// TestWebhooksLive: webhook configurations on the real API server, read
// through the shipped role: a Fail webhook whose caBundle (two CAs)
// expires with the sooner one in 5 days, an Ignore one with a garbage
// bundle, one with an empty bundle (the API server's roots: nothing to
// report); then the first is rotated to a later CA through the watch path.
// The webhooks match a resource nothing creates, so they never run.
func TestWebhooksLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real kube-apiserver")
	}
	env := testenv.Start(t)
	client := bindShippedRole(t, env)
	ctx := context.Background()
	root := testcerts.NewCA(t, "root")
	soon := root.Intermediate(t, "soon", time.Now().Add(5*24*time.Hour).Truncate(time.Second))
	later := root.Intermediate(t, "later", time.Now().Add(200*24*time.Hour).Truncate(time.Second))
	pemOf := func(cs ...*testcerts.CA) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Cert.Raw})...)
		}
		return b
	}
	url := "https://127.0.0.1:9443/validate"
	fail, ignore, none := admissionregistrationv1.Fail, admissionregistrationv1.Ignore, admissionregistrationv1.SideEffectClassNone
	hook := func(name string, policy *admissionregistrationv1.FailurePolicyType, bundle []byte) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{Name: name, FailurePolicy: policy, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: bundle},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}}}}}
	}
	cfg, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			hook("strict.policy.example", &fail, pemOf(later, soon)),
			hook("lenient.policy.example", &ignore, []byte("garbage")),
			hook("system.policy.example", &fail, nil),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := liveRegistry(t, client, collector.Deps{}, "webhooks")
	series := func(name, webhook, policy string) string {
		return fmt.Sprintf(`kube_reliability_webhook_%s{configuration="policy",failure_policy=%q,kind="ValidatingWebhookConfiguration",webhook=%q}`, name, policy, webhook)
	}
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		series("ca_expiry_timestamp_seconds", "strict.policy.example", "Fail"):    float64(soon.Cert.Cert.NotAfter.Unix()),
		series("ca_invalid", "lenient.policy.example", "Ignore"):                  1,
		series("ca_expiry_timestamp_seconds", "lenient.policy.example", "Ignore"): -1,
		series("ca_expiry_timestamp_seconds", "system.policy.example", "Fail"):    -1,
		series("ca_invalid", "system.policy.example", "Fail"):                     -1,
	}))
	cfg.Webhooks[0].ClientConfig.CABundle = pemOf(later)
	if _, err := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, expectation(t, reg, map[string]float64{
		series("ca_expiry_timestamp_seconds", "strict.policy.example", "Fail"): float64(later.Cert.Cert.NotAfter.Unix()),
	}))
}
