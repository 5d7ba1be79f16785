package certs

import (
	"cmp"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"strconv"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
)

// Kinds of configuration.
const (
	KindValidating = "ValidatingWebhookConfiguration"
	KindMutating   = "MutatingWebhookConfiguration"
)

// Webhook is one webhook of a configuration.
type Webhook struct {
	Kind, Configuration, Name string
	// FailurePolicy is Fail (the API's default) or Ignore.
	FailurePolicy string
	// CANotAfter is the soonest expiry of the certificates in caBundle;
	// zero with CAError set when the bundle is empty or does not parse
	// (an empty bundle means the API server's own trust roots).
	CANotAfter time.Time
	CAError    string
	// CABundle is the PEM bundle the webhook's serving certificate must
	// chain to.
	CABundle []byte
	// Service names the webhook's Service, or URL its fixed address.
	Service *ServiceRef
	URL     string
}

// ServiceRef is the Service port a webhook or an aggregated API is
// reached at.
type ServiceRef struct {
	Namespace, Name string
	Port            int32
}

// String is namespace/name:port ("" for nil).
func (r *ServiceRef) String() string {
	if r == nil {
		return ""
	}
	return r.Namespace + "/" + r.Name + ":" + strconv.Itoa(int(r.Port))
}

// Host is the name the API server sends as SNI and checks the serving
// certificate against: name.namespace.svc.
func (r ServiceRef) Host() string { return r.Name + "." + r.Namespace + ".svc" }

// Fail: a call that fails refuses the request.
func (w Webhook) Fail() bool { return w.FailurePolicy == string(admissionregistrationv1.Fail) }

// Webhooks lists every webhook of the snapshot, sorted.
func Webhooks(s *cluster.Snapshot) []Webhook {
	var out []Webhook
	add := func(kind, config, name string, policy *admissionregistrationv1.FailurePolicyType, cc admissionregistrationv1.WebhookClientConfig) {
		w := Webhook{Kind: kind, Configuration: config, Name: name, FailurePolicy: string(admissionregistrationv1.Fail), CABundle: cc.CABundle}
		if policy != nil {
			w.FailurePolicy = string(*policy)
		}
		if cc.URL != nil {
			w.URL = *cc.URL
		}
		if svc := cc.Service; svc != nil {
			port := int32(443)
			if svc.Port != nil {
				port = *svc.Port
			}
			w.Service = &ServiceRef{Namespace: svc.Namespace, Name: svc.Name, Port: port}
		}
		if t, err := EarliestExpiry(cc.CABundle); err != nil {
			w.CAError = err.Error()
		} else {
			w.CANotAfter = t
		}
		out = append(out, w)
	}
	for _, c := range s.ValidatingWebhookConfigurations {
		for _, h := range c.Webhooks {
			add(KindValidating, c.Name, h.Name, h.FailurePolicy, h.ClientConfig)
		}
	}
	for _, c := range s.MutatingWebhookConfigurations {
		for _, h := range c.Webhooks {
			add(KindMutating, c.Name, h.Name, h.FailurePolicy, h.ClientConfig)
		}
	}
	slices.SortFunc(out, func(a, b Webhook) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Configuration, b.Configuration), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Errors of EarliestExpiry.
var (
	ErrEmptyBundle = errors.New("caBundle is empty: the API server's own roots verify the webhook")
	ErrNoPEM       = errors.New("caBundle holds no PEM certificate")
)

// EarliestExpiry parses a PEM bundle and returns its soonest not-after.
func EarliestExpiry(bundle []byte) (time.Time, error) {
	if len(bundle) == 0 {
		return time.Time{}, ErrEmptyBundle
	}
	var soonest time.Time
	found := false
	for rest := bundle; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return time.Time{}, err
		}
		if !found || c.NotAfter.Before(soonest) {
			soonest, found = c.NotAfter, true
		}
	}
	if !found {
		return time.Time{}, ErrNoPEM
	}
	return soonest, nil
}

// APIService is what analysis reads of an aggregated API's APIService:
// its CA bundle (a public certificate in the object) and where it is
// served. Once the bundle lapses the aggregator cannot reach it: the API
// (metrics.k8s.io, and with it every HPA on CPU) is unavailable.
type APIService struct {
	Name string
	// Local: served by the API server itself (no service): nothing to
	// verify.
	Local              bool
	InsecureSkipVerify bool
	CABundle           []byte
	Service            *ServiceRef
}
