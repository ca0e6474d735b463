package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/sim"
)

func TestServe_InvalidConfigurationListsEveryProblem(t *testing.T) {
	env := map[string]string{"PORTAL_PUBLIC_URL": "ftp://x", "PORTAL_ARGO_URL": "https://argo.example.org", "PORTAL_SESSION_IDLE": "soon"}
	var stderr bytes.Buffer
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, &stderr)
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, want := range []string{"PORTAL_OIDC_ISSUER is required", "PORTAL_OIDC_CLIENT_ID is required", "PORTAL_PUBLIC_URL", "PORTAL_ARGO_TOKEN", "PORTAL_SESSION_IDLE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// syncBuffer is a writer safe to read while another goroutine writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// startRun runs the program in the background until the test ends and
// returns its stdout.
func startRun(t *testing.T, args ...string) *syncBuffer {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(string) string { return "" }, out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("portal %v: %v", args, err)
			}
		case <-time.After(20 * time.Second):
			t.Error("did not stop")
		}
	})
	return out
}

// waitFor waits for the demo's log to say want. The bound is generous:
// the demo's first ARGO sync reads a year of history, which under the race
// detector on a busy two-core machine has taken over 30 s.
func waitFor(t *testing.T, out *syncBuffer, want string) string {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if s := out.String(); strings.Contains(s, want) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("output never contained %q: %q", want, out.String())
	return ""
}

func TestSim_PrintsOneJSONLine(t *testing.T) {
	dir := t.TempDir()
	projects := filepath.Join(dir, "conf", "projects.json")
	out := startRun(t, "sim", "-argo", "127.0.0.1:0", "-obi", "127.0.0.1:0", "-amie", "127.0.0.1:0", "-vergeos", "127.0.0.1:0", "-tls-dir", dir, "-seed", "3", "-projects", projects)
	text := waitFor(t, out, "\n")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 1 {
		t.Fatalf("want exactly one line, got %q", text)
	}
	var info sim.Info
	if err := json.Unmarshal([]byte(lines[0]), &info); err != nil {
		t.Fatal(err)
	}
	if info.CAFile != filepath.Join(dir, "ca.pem") || info.Seed != 3 || info.Argo == nil || info.Argo.Token == "" ||
		info.AMIE == nil || info.AMIE.Site == "" || info.AMIE.APIKey == "" || info.VergeOS == nil || info.VergeOS.Password == "" || info.OBI == nil {
		t.Fatalf("info %+v", info)
	}
	// The projects file names the simulators' projects, ready for PORTAL_PROJECTS_FILE.
	cat, err := config.LoadCatalog(projects)
	if err != nil {
		t.Fatalf("-projects wrote a file the portal refuses: %v", err)
	}
	if len(cat.Projects) == 0 || len(cat.VirtualLabs) == 0 || cat.Projects[0].OBIID == "" || cat.Projects[0].ArgoID == "" {
		t.Fatalf("projects file %+v", cat)
	}
	pem, err := os.ReadFile(info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, u := range []string{info.Argo.URL, info.VergeOS.URL} {
		if !strings.HasPrefix(u, "https://127.0.0.1:") {
			t.Fatalf("%s is not HTTPS on loopback", u)
		}
		resp, err := c.Get(strings.Replace(u, "127.0.0.1", "localhost", 1) + "/")
		if err != nil {
			t.Fatalf("%s with the CA file: %v", u, err)
		}
		resp.Body.Close()
	}
}

func TestDemo_ServesASignInPage(t *testing.T) {
	dir := t.TempDir()
	out := startRun(t, "demo", "-data", dir, "-addr", "127.0.0.1:0")
	text := waitFor(t, out, "sign in as admin")
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Scan()
	url := strings.Fields(strings.SplitN(sc.Text(), "open ", 2)[1])[0]
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/auth/login") {
		t.Fatalf("demo home: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Following the sign-in lands on the provider's form with a user field.
	resp, err = http.Get(url + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, u := range []string{"admin", "manager", "viewer"} {
		if !strings.Contains(string(body), `name="user" value="`+u+`"`) {
			t.Errorf("sign-in form lacks user %s", u)
		}
	}
	for _, f := range []string{"portal.db", "ca.pem", "projects.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo data dir lacks %s", f)
		}
	}
}
