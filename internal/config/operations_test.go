package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate and its key for localhost.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func TestLoad_TLSBothOrNeither(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	e := minimal()
	e["PORTAL_TLS_CERT_FILE"], e["PORTAL_TLS_KEY_FILE"] = cert, key
	c, err := Load(nil, env(e), io.Discard)
	if err != nil || !c.TLS.Enabled() || !c.Secure() {
		t.Fatalf("both files: %v %+v", err, c.TLS)
	}
	// Served over TLS, cookies are Secure even if the public URL were not
	// https; the public URL must say https, though.
	e["PORTAL_PUBLIC_URL"] = "http://accounting.example.org"
	if _, err := Load(nil, env(e), io.Discard); err == nil || !strings.Contains(err.Error(), "must be https:// when the portal serves HTTPS itself") {
		t.Errorf("http public URL with TLS: %v", err)
	}
	for _, only := range []string{"PORTAL_TLS_CERT_FILE", "PORTAL_TLS_KEY_FILE"} {
		e := minimal()
		e[only] = cert
		_, err := Load(nil, env(e), io.Discard)
		var p *Problems
		if !errors.As(err, &p) || !strings.Contains(err.Error(), "PORTAL_TLS_CERT_FILE and PORTAL_TLS_KEY_FILE go together") {
			t.Errorf("only %s: %v", only, err)
		}
	}
	// A key that is not the certificate's: said with both file names.
	_, otherKey := selfSigned(t, t.TempDir())
	e = minimal()
	e["PORTAL_TLS_CERT_FILE"], e["PORTAL_TLS_KEY_FILE"] = cert, otherKey
	if _, err := Load(nil, env(e), io.Discard); err == nil || !strings.Contains(err.Error(), otherKey) || !strings.Contains(err.Error(), "private key does not match") {
		t.Errorf("mismatched key: %v", err)
	}
	// Secure follows TLS served by the portal itself, whatever the URL says.
	if !(&Config{PublicURL: "http://a.example.org", TLS: TLS{CertFile: cert, KeyFile: key}}).Secure() ||
		(&Config{PublicURL: "http://a.example.org"}).Secure() {
		t.Error("Secure does not follow direct TLS")
	}
	e = minimal()
	c, _ = Load(nil, env(e), io.Discard)
	if c.TLS.Enabled() || c.ProjectsPoll != 5*time.Second {
		t.Errorf("defaults: %+v %v", c.TLS, c.ProjectsPoll)
	}
	e["PORTAL_PROJECTS_POLL"] = "-1s"
	if _, err := Load(nil, env(e), io.Discard); err == nil || !strings.Contains(err.Error(), "PORTAL_PROJECTS_POLL") {
		t.Errorf("negative poll: %v", err)
	}
}
