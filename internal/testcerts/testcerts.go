package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

var serial atomic.Int64

// Cert is a certificate, its key and the chain up to (not including) the
// root.
type Cert struct {
	Cert  *x509.Certificate
	Key   *ecdsa.PrivateKey
	Chain []*x509.Certificate // intermediates, if any
}

// CA signs leaves: a root, or an intermediate (Chain holds it and the
// intermediates above it, for the leaves it signs).
type CA struct{ Cert }

// NewCA makes a root valid from an hour ago for ten years.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	c := make1(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:  x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
	}, nil)
	return &CA{c}
}

// Pool holds the CA, for verification.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert.Cert)
	return p
}

// Leaf signs a serving certificate for hosts (DNS names or IPs) valid
// until notAfter (from an hour before now, or from notAfter minus a day if
// that is earlier: expired certificates were valid once).
func (ca *CA) Leaf(t testing.TB, notAfter time.Time, hosts ...string) Cert {
	t.Helper()
	tmpl := leafTemplate(notAfter, hosts...)
	c := make1(t, tmpl, &ca.Cert)
	c.Chain = ca.chain()
	return c
}

// Intermediate makes a CA that ca signs, valid until notAfter.
func (ca *CA) Intermediate(t testing.TB, name string, notAfter time.Time) *CA {
	t.Helper()
	c := make1(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:  x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
	}, &ca.Cert)
	c.Chain = ca.chain()
	return &CA{c}
}

// chain is what a leaf of ca presents after itself: ca if it is an
// intermediate, and those above it; nothing for a root.
func (ca *CA) chain() []*x509.Certificate {
	if ca.Cert.Cert.Subject.String() == ca.Cert.Cert.Issuer.String() {
		return nil
	}
	return append([]*x509.Certificate{ca.Cert.Cert}, ca.Cert.Chain...)
}

// SelfSigned makes a leaf that signs itself, with the given common name.
func SelfSigned(t testing.TB, commonName string, notAfter time.Time, hosts ...string) Cert {
	t.Helper()
	tmpl := leafTemplate(notAfter, hosts...)
	tmpl.Subject = pkix.Name{CommonName: commonName, Organization: []string{"Acme Co"}}
	return make1(t, tmpl, nil)
}

func leafTemplate(notAfter time.Time, hosts ...string) *x509.Certificate {
	notBefore := time.Now().Add(-time.Hour)
	if notAfter.Before(notBefore) {
		notBefore = notAfter.Add(-24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		Subject:   pkix.Name{CommonName: first(hosts)},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature,
		// Clients too: etcd's peers and clients present these.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return tmpl
}

func first(s []string) string {
	if len(s) == 0 {
		return "unnamed"
	}
	return s[0]
}

func make1(t testing.TB, tmpl *x509.Certificate, issuer *Cert) Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(serial.Add(1))
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return Cert{Cert: c, Key: key}
}

// TLS returns c as a tls.Certificate (leaf, then its chain).
func (c Cert) TLS() tls.Certificate {
	out := tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
	for _, i := range c.Chain {
		out.Certificate = append(out.Certificate, i.Raw)
	}
	return out
}

// PEM returns the certificate (and chain) and the key, PEM-encoded.
func (c Cert) PEM(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
	for _, i := range c.Chain {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.Raw})...)
	}
	der, err := x509.MarshalECPrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// WriteFiles writes name.crt and name.key into dir and returns their paths.
func (c Cert) WriteFiles(t testing.TB, dir, name string) (certFile, keyFile string) {
	t.Helper()
	certPEM, keyPEM := c.PEM(t)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
