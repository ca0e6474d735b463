// Package mailpit runs Mailpit (github.com/axllent/mailpit), a real SMTP
// server with an HTTP API, for the tests that send mail: each test starts
// its own on free loopback ports and reads what arrived through the API.
//
// Mailpit is a program, not a library the tests can import: .ci/run
// builds it from the Go module proxy into ${XDG_CACHE_HOME:-~/.cache}/
// portal-ci/mailpit-<version>, and PORTAL_TEST_MAILPIT names it. Without
// it the tests skip and say how to get it; with PORTAL_E2E_REQUIRE set
// (as CI does) they fail instead, so CI cannot pass by skipping them.
package mailpit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Version is the Mailpit release .ci/run builds.
const Version = "v1.33.1"

// Environment variables the tests read.
const (
	EnvBinary  = "PORTAL_TEST_MAILPIT"
	EnvRequire = "PORTAL_E2E_REQUIRE"
)

// CachePath is where .ci/run keeps the Mailpit binary between runs.
func CachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "portal-ci", "mailpit-"+Version)
}

// Binary finds Mailpit (PORTAL_TEST_MAILPIT, else the cached build), or
// says what is missing and how to get it.
func Binary() (string, error) {
	p := os.Getenv(EnvBinary)
	if p == "" {
		p = CachePath()
		if !executable(p) {
			return "", fmt.Errorf("no Mailpit: run .ci/run once (it builds Mailpit %s into %s), or build it with "+
				"`GOBIN=/some/dir go install github.com/axllent/mailpit@%s` and set %s to the binary", Version, p, Version, EnvBinary)
		}
	}
	if !executable(p) {
		return "", fmt.Errorf("%s=%s is not an executable file", EnvBinary, p)
	}
	return p, nil
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Server is a running Mailpit.
type Server struct {
	t        testing.TB
	bin, dir string
	// SMTPAddr and APIURL are its SMTP address and the base of its HTTP API.
	SMTPAddr string
	APIURL   string
	// CAFile is the certificate Mailpit offers STARTTLS with (PEM), for
	// the portal's PORTAL_SMTP_CA_FILE.
	CAFile  string
	keyFile string

	mu  sync.Mutex
	cmd *exec.Cmd
	log *bytes.Buffer
}

// Start runs Mailpit until the test ends. It skips the test (or fails it
// under PORTAL_E2E_REQUIRE) when Mailpit is not there.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv(EnvRequire) != "" {
			t.Fatalf("tests against Mailpit required (%s is set) but cannot run: %v", EnvRequire, err)
		}
		t.Skipf("tests against a real SMTP server skipped: %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), SMTPAddr: freeAddr(t)}
	s.APIURL = "http://" + freeAddr(t)
	s.CAFile, s.keyFile = filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem")
	if err := writeCert(s.CAFile, s.keyFile); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// URL is the portal's PORTAL_SMTP_URL for this server. Mailpit takes any
// user and password, so the URL carries some, and the portal signs in
// after STARTTLS (it sends no password over a connection in clear).
func (s *Server) URL() string {
	return "smtp://portal:" + url.PathEscape("s3cret/pass") + "@" + s.SMTPAddr
}

// Stop ends Mailpit (the messages it took stay in its database for
// Restart). Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Restart starts Mailpit again on the same ports and database, and waits
// until it answers.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	api, _ := url.Parse(s.APIURL)
	s.log = &bytes.Buffer{}
	cmd := exec.Command(s.bin, "--smtp", s.SMTPAddr, "--listen", api.Host, "--database", filepath.Join(s.dir, "mailpit.db"),
		"--disable-version-check", "--quiet", "--smtp-auth-accept-any", "--smtp-tls-cert", s.CAFile, "--smtp-tls-key", s.keyFile,
		"--max", "5000")
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start Mailpit: %v", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.APIURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.DialTimeout("tcp", s.SMTPAddr, time.Second); err == nil {
					c.Close()
					return
				}
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("Mailpit did not get ready on %s and %s: %v\n%s", s.SMTPAddr, s.APIURL, err, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Address is a sender or recipient as Mailpit reports it.
type Address struct {
	Name, Address string
}

// Message is one message Mailpit took, with both bodies.
type Message struct {
	ID        string
	MessageID string
	From      Address
	To        []Address
	Subject   string
	Text      string
	HTML      string
}

// Messages returns every message Mailpit holds, oldest first, bodies
// included.
func (s *Server) Messages() []Message {
	s.t.Helper()
	var list struct {
		Messages []Message `json:"messages"`
	}
	s.get("/api/v1/messages?limit=5000", &list)
	out := make([]Message, 0, len(list.Messages))
	// The list is newest first.
	for i := len(list.Messages) - 1; i >= 0; i-- {
		var m Message
		s.get("/api/v1/message/"+url.PathEscape(list.Messages[i].ID), &m)
		out = append(out, m)
	}
	return out
}

// Count is how many messages Mailpit holds.
func (s *Server) Count() int {
	s.t.Helper()
	var list struct {
		Total int `json:"total"`
	}
	s.get("/api/v1/messages?limit=1", &list)
	return list.Total
}

// WaitFor polls Mailpit until ok holds of the messages it holds, and
// returns them; the test fails after timeout with what arrived.
func (s *Server) WaitFor(timeout time.Duration, what string, ok func([]Message) bool) []Message {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		ms := s.Messages()
		if ok(ms) {
			return ms
		}
		select {
		case <-ctx.Done():
			var subjects []string
			for _, m := range ms {
				subjects = append(subjects, fmt.Sprintf("%v: %s", m.To, m.Subject))
			}
			s.t.Fatalf("Mailpit: waited %s for %s; it holds %d messages: %q", timeout, what, len(ms), subjects)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *Server) get(path string, v any) {
	s.t.Helper()
	resp, err := http.Get(s.APIURL + path)
	if err != nil {
		s.t.Fatalf("Mailpit API %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("Mailpit API %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatalf("Mailpit API %s: %v", path, errors.Join(err, errors.New("status "+strconv.Itoa(resp.StatusCode))))
	}
}

// To returns the messages to address.
func To(ms []Message, address string) []Message {
	var out []Message
	for _, m := range ms {
		for _, a := range m.To {
			if a.Address == address {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailpit test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
}
