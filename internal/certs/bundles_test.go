package certs

import (
	"encoding/pem"
	"reflect"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
)

// Exact reads: a bundle of two CAs expires with the sooner; an empty
// bundle and garbage say why; failurePolicy defaults to Fail; the
// endpoint is the Service (port 443 by default) or the URL.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	soon := testcerts.NewCA(t, "soon").Intermediate(t, "soon-ca", time.Now().Add(5*24*time.Hour).Truncate(time.Second))
	later := testcerts.NewCA(t, "later")
	pemOf := func(cs ...testcerts.Cert) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})...)
		}
		return b
	}
	ignore := admissionregistrationv1.Ignore
	port := int32(8443)
	url := "https://127.0.0.1:9443/validate"
	s := &cluster.Snapshot{
		ValidatingWebhookConfigurations: []*admissionregistrationv1.ValidatingWebhookConfiguration{{
			ObjectMeta: metav1.ObjectMeta{Name: "policy"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{
				{Name: "pods.policy.example", ClientConfig: admissionregistrationv1.WebhookClientConfig{
					Service: &admissionregistrationv1.ServiceReference{Namespace: "policy", Name: "webhook"}, CABundle: pemOf(later.Cert, soon.Cert)}},
				{Name: "garbage.policy.example", FailurePolicy: &ignore, ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: []byte("not pem")}},
			},
		}},
		MutatingWebhookConfigurations: []*admissionregistrationv1.MutatingWebhookConfiguration{{
			ObjectMeta: metav1.ObjectMeta{Name: "inject"},
			Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "sidecar.example", ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{Namespace: "mesh", Name: "injector", Port: &port}}}},
		}},
	}
	want := []Webhook{
		{Kind: KindMutating, Configuration: "inject", Name: "sidecar.example", FailurePolicy: "Fail", CAError: ErrEmptyBundle.Error(), Service: &ServiceRef{"mesh", "injector", 8443}},
		{Kind: KindValidating, Configuration: "policy", Name: "garbage.policy.example", FailurePolicy: "Ignore", CAError: ErrNoPEM.Error(), URL: url, CABundle: []byte("not pem")},
		{Kind: KindValidating, Configuration: "policy", Name: "pods.policy.example", FailurePolicy: "Fail", CANotAfter: soon.Cert.Cert.NotAfter, Service: &ServiceRef{"policy", "webhook", 443}, CABundle: pemOf(later.Cert, soon.Cert)},
	}
	if got := Webhooks(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

// FuzzEarliestExpiry: any bundle gets an expiry or an error, never a panic.
func FuzzEarliestExpiry(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("not pem"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if at, err := EarliestExpiry(b); err == nil && at.IsZero() {
			t.Fatal("no error and no expiry")
		}
	})
}
