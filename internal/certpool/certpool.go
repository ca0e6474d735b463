// Package certpool builds the certificate roots the portal trusts when it
// connects out (to an upstream, to the SMTP server): the system's, plus
// the CA a setting names for a server with a certificate of its own.
package certpool

import (
	"crypto/x509"
	"fmt"
	"os"
)

// WithCA returns the system roots plus the certificates in the PEM file
// caFile. A file that cannot be read, or holds no certificate, is an
// error that names it.
func WithCA(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return pool, nil
}
