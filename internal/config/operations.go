package config

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// TLS names the certificate and key the portal serves HTTPS with.
type TLS struct {
	CertFile, KeyFile string
}

// Enabled reports whether the portal serves HTTPS itself.
func (t TLS) Enabled() bool { return t.CertFile != "" && t.KeyFile != "" }

// LoadCertificate reads the certificate chain and its key.
func (t TLS) LoadCertificate() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("PORTAL_TLS_CERT_FILE %s and PORTAL_TLS_KEY_FILE %s: %v", t.CertFile, t.KeyFile, err)
	}
	return &cert, nil
}

// validateOperations checks the settings of direct HTTPS and of the
// projects file's reload.
func (c *Config) validateOperations() []string {
	var p []string
	switch {
	case (c.TLS.CertFile == "") != (c.TLS.KeyFile == ""):
		p = append(p, "PORTAL_TLS_CERT_FILE and PORTAL_TLS_KEY_FILE go together: set both to serve HTTPS, or neither (behind a proxy that terminates TLS)")
	case c.TLS.Enabled():
		if _, err := c.TLS.LoadCertificate(); err != nil {
			p = append(p, err.Error())
		}
		if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") {
			p = append(p, fmt.Sprintf("PORTAL_PUBLIC_URL: %q must be https:// when the portal serves HTTPS itself (PORTAL_TLS_CERT_FILE)", c.PublicURL))
		}
	}
	if c.ProjectsPoll < 0 {
		p = append(p, "PORTAL_PROJECTS_POLL must not be negative (0 turns polling off)")
	}
	return p
}
