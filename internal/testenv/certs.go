package testenv

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/testcerts"
)

// CA is a throwaway certificate authority for tests whose parts take
// files (etcd's TLS flags): internal/testcerts with the PEM files written.
type CA struct {
	t  testing.TB
	ca *testcerts.CA
	// File is the CA certificate's PEM file.
	File string
}

// NewCA creates a CA and writes its certificate to File.
func NewCA(t testing.TB) *CA {
	t.Helper()
	ca := &CA{t: t, ca: testcerts.NewCA(t, "kube-reliability test CA"), File: filepath.Join(t.TempDir(), "ca.crt")}
	if err := os.WriteFile(ca.File, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.ca.Cert.Cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

// Issue signs a certificate for 127.0.0.1 and localhost, for serving and
// for clients, that expires at notAfter (X.509 keeps whole seconds), and
// returns its certificate and key files.
func (ca *CA) Issue(notAfter time.Time) (certFile, keyFile string) {
	ca.t.Helper()
	return ca.ca.Leaf(ca.t, notAfter, "127.0.0.1", "localhost").WriteFiles(ca.t, ca.t.TempDir(), "tls")
}
