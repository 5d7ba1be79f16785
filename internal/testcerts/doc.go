// Package testcerts makes X.509 certificates for tests: a CA, leaves it
// signs for given hosts and validity, self-signed certificates, as
// tls.Certificates and PEM files. ECDSA P-256: fast enough to make dozens
// per test.
//
// For tests only: production code never imports it.
package testcerts
