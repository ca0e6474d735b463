package simtls

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestCA_ServesTrustedTLS(t *testing.T) {
	ca, err := New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.TLS = ca.ServerConfig()
	srv.StartTLS()
	defer srv.Close()

	for _, host := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
		resp, err := c.Get(host)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
	}
	// A client without the CA must refuse the certificate.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}
	if _, err := c.Get(srv.URL); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
	path, err := ca.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Fatal("ca.pem has no certificate")
	}
}
