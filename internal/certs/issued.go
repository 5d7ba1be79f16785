package certs

import (
	"errors"
	"strings"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/cluster"
	"github.com/kube-reliability/kube-reliability-exporter/internal/gateway"
)

// ErrNoCertManager: cert-manager's Certificate CRD is not installed.
var ErrNoCertManager = errors.New("cert-manager's Certificate CRD is not installed")

// Issued is what cert-manager's Certificate object says it issued — read
// from the object's status, never from the Secret it writes.
type Issued struct {
	Namespace, Name string
	// Secret is spec.secretName, in Namespace.
	Secret string
	// NotAfter is status.notAfter: zero before the first issuance.
	NotAfter time.Time
	// Ready is the Ready condition: nil while cert-manager has not set it
	// (or set it Unknown).
	Ready *bool
	// Reason and Message explain a Ready condition that is false.
	Reason, Message string
}

// SecretRef names a Secret.
type SecretRef struct{ Namespace, Name string }

// ObjectHost is one host of one object.
type ObjectHost struct{ Kind, Namespace, Name, Host string }

// Secrets maps each TLS host of an Ingress and each HTTPS/TLS listener of
// a Gateway to the Secret the object says to serve for it.
func Secrets(s *cluster.Snapshot, listeners []gateway.TLSListener) map[ObjectHost]SecretRef {
	out := map[ObjectHost]SecretRef{}
	for _, ing := range s.Ingresses {
		for _, tls := range ing.Spec.TLS {
			if tls.SecretName == "" {
				continue
			}
			for _, h := range tls.Hosts {
				k := ObjectHost{KindIngress, ing.Namespace, ing.Name, h}
				if _, dup := out[k]; !dup { // the first entry naming a host is the one served
					out[k] = SecretRef{ing.Namespace, tls.SecretName}
				}
			}
		}
	}
	for _, l := range listeners {
		if l.Secret == "" || l.Hostname == "" {
			continue
		}
		k := ObjectHost{KindGateway, l.Namespace, l.Gateway, l.Hostname}
		if _, dup := out[k]; !dup {
			ns, name, _ := strings.Cut(l.Secret, "/")
			out[k] = SecretRef{ns, name}
		}
	}
	return out
}

// BySecret indexes issued certificates by the Secret they write; of two Certificates writing one Secret (a
// misconfiguration cert-manager itself flags), the later not-after wins.
func BySecret(issued []Issued) map[SecretRef]Issued {
	out := make(map[SecretRef]Issued, len(issued))
	for _, c := range issued {
		k := SecretRef{c.Namespace, c.Secret}
		if prev, ok := out[k]; !ok || c.NotAfter.After(prev.NotAfter) {
			out[k] = c
		}
	}
	return out
}
