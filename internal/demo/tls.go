package demo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The demo Gateway's HTTPS listeners (hack/gen-demo-cluster.py: TLS_IP,
// TLS_PORT); nothing listens at the legacy Gateway's address.
const (
	tlsIP   = "127.0.0.61"
	tlsPort = 18443
)

// TLSHosts are the certificates the demo serves, made at start (their
// expiry is relative to now, so the dashboards and alerts show the same
// story any day): the Gateway's shop host is fine; cart's expires in two
// days and cert-manager has renewed it, but the server was not reloaded;
// search serves www's certificate; admin has none, so the controller's
// self-signed default answers.
type TLSHosts struct {
	// Roots verify the demo's chains: its private CA.
	Roots *x509.CertPool
	// Certificates are cert-manager Certificate objects for the hosts'
	// Secrets, as cert-manager would report them.
	Certificates []*unstructured.Unstructured
}

// ServeTLS serves the demo Gateway's HTTPS hosts by SNI on loopback until
// ctx ends.
func ServeTLS(ctx context.Context) (TLSHosts, error) {
	now := time.Now().Truncate(time.Second)
	ca, err := newCert(nil, "kube-reliability demo CA", now.AddDate(10, 0, 0), true)
	if err != nil {
		return TLSHosts{}, err
	}
	byName := map[string]*keyed{}
	for host, c := range map[string]struct {
		names    string
		notAfter time.Time
	}{
		"shop.demo.example":   {"shop.demo.example", now.AddDate(0, 0, 90)},
		"cart.demo.example":   {"cart.demo.example", now.Add(2 * 24 * time.Hour)},
		"search.demo.example": {"www.demo.example", now.AddDate(0, 0, 90)},
	} {
		if byName[host], err = newCert(ca, c.names, c.notAfter, false); err != nil {
			return TLSHosts{}, err
		}
	}
	// ingress-nginx's default: self-signed, for ingress.local.
	fake, err := newCert(nil, "Kubernetes Ingress Controller Fake Certificate", now.AddDate(1, 0, 0), false, "ingress.local")
	if err != nil {
		return TLSHosts{}, err
	}
	l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", tlsIP, tlsPort))
	if err != nil {
		return TLSHosts{}, err
	}
	tl := tls.NewListener(l, &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if c, ok := byName[hello.ServerName]; ok {
			return c.tls(ca), nil
		}
		return fake.tls(nil), nil
	}})
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	context.AfterFunc(ctx, func() { _ = l.Close() })
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	issued := func(name, secret string, notAfter time.Time, ready, reason string) *unstructured.Unstructured {
		status := map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": ready, "reason": reason}}}
		if !notAfter.IsZero() {
			status["notAfter"] = notAfter.UTC().Format(time.RFC3339)
		}
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
			"metadata": map[string]any{"name": name, "namespace": "shop", "uid": "cert-" + name},
			"spec":     map[string]any{"secretName": secret}, "status": status}}
	}
	return TLSHosts{Roots: roots, Certificates: []*unstructured.Unstructured{
		issued("shop", "shop-tls", byName["shop.demo.example"].cert.NotAfter, "True", "Ready"),
		// Renewed for 90 days; the server still holds the old one.
		issued("cart", "cart-tls", now.AddDate(0, 0, 90), "True", "Ready"),
		issued("admin", "admin-tls", time.Time{}, "False", "Failed"),
	}}, nil
}

// keyed is a certificate and its key.
type keyed struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func (k *keyed) tls(issuer *keyed) *tls.Certificate {
	c := &tls.Certificate{Certificate: [][]byte{k.cert.Raw}, PrivateKey: k.key, Leaf: k.cert}
	if issuer != nil {
		c.Certificate = append(c.Certificate, issuer.cert.Raw)
	}
	return c
}

// newCert makes a CA (isCA) or a serving certificate for name and extra
// names, signed by issuer (nil: by itself).
func newCert(issuer *keyed, name string, notAfter time.Time, isCA bool, extra ...string) (*keyed, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, BasicConstraintsValid: true, IsCA: isCA}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = extra
		if len(extra) == 0 {
			tmpl.DNSNames = []string{name}
		}
	}
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, errors.Join(errors.New("demo certificate"), err)
	}
	return &keyed{cert: cert, key: key}, nil
}
