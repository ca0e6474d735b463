package app_test

import (
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/simtls"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// writeProjects replaces the projects file the way configuration tools
// do: a new file renamed over the old one.
func writeProjects(t *testing.T, path string, body []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func catalogBytes(t *testing.T, c *portal.Catalog) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.json")
	if err := demo.WriteCatalog(path, c); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	return b
}

func TestCatalogReload_ProjectAppearsForItsManagerWithoutRestart(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, map[string]string{"PORTAL_PROJECTS_POLL": "50ms"})
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	path := filepath.Join(p.Dir, "projects.json")
	full := demo.Catalog(p.Sims.World)
	without := *full
	without.Projects = slices.DeleteFunc(slices.Clone(full.Projects), func(pr portal.CatalogProject) bool { return pr.Key == "brain-atlas" })
	sees := func(key string) bool {
		return strings.Contains(manager.Get("/budgets").Body, `data-project="`+key+`"`)
	}
	if !sees("brain-atlas") || !sees("neuro-sim") {
		t.Fatal("the manager does not see their projects at start")
	}

	// The project leaves the file: it leaves the manager's pages once the
	// portal's next look at the file (every 50 ms here) has seen it.
	writeProjects(t, path, catalogBytes(t, &without))
	apptest.Eventually(t, 10*time.Second, "brain-atlas to leave the catalogue", func() bool { return !sees("brain-atlas") })
	if !sees("neuro-sim") || len(p.App.Catalog().Projects) != len(full.Projects)-1 {
		t.Fatal("the manager's other project went too")
	}

	// Added to the file again, it is visible to its manager after a reload
	// (SIGHUP), with no restart and no new sign-in.
	ctx := context.Background()
	good := catalogBytes(t, full)
	writeProjects(t, path, good)
	if err := p.App.Reload(ctx, "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if !sees("brain-atlas") || manager.Get("/budgets/projects/brain-atlas").Status != http.StatusOK {
		t.Fatal("brain-atlas is not back after the reload")
	}
	src := admin.Get("/sources")
	counts := between(src.Body, `data-testid="projects-file-counts">`, "</dd>")
	if counts != "5 projects in 2 virtual labs" || strings.Contains(src.Body, `data-testid="projects-file-error"`) {
		t.Fatalf("data-sources page: counts %q", counts)
	}
	version := between(src.Body, `data-testid="projects-file-version">`, "</dd>")
	if st := p.App.CatalogStatus(); !strings.Contains(version, st.Current.SHA256) {
		t.Fatalf("version %q does not show the file's hash %s", version, st.Current.SHA256)
	}

	// A broken version is refused whole: the old catalogue stays in use,
	// and admins see why on the data-sources page.
	broken := *full
	broken.Projects = slices.Clone(full.Projects)
	broken.Projects[0].OBIVlabID = "00000000-0000-0000-0000-000000000000"
	broken.Projects = append(broken.Projects, portal.CatalogProject{Key: "new project", Name: "New"})
	writeProjects(t, path, catalogBytes(t, &broken))
	if err := p.App.Reload(ctx, "SIGHUP"); err == nil {
		t.Fatal("the broken projects file was accepted")
	}
	page := admin.Get("/sources").Body
	if !strings.Contains(page, `data-testid="projects-file-error"`) {
		t.Fatal("the data-sources page does not show the refusal")
	}
	refusal := between(page, `data-testid="projects-file-error"`, "</div>")
	for _, want := range []string{"projects[0].obi_vlab_id", "projects[5].key", "stays in use"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, refusal)
		}
	}
	if !strings.Contains(page, "5 projects in 2 virtual labs") || !sees("brain-atlas") || len(p.App.Catalog().Projects) != 5 {
		t.Error("a broken file changed the catalogue in use")
	}
	if r := manager.Get("/sources"); r.Status != http.StatusForbidden {
		t.Errorf("a manager reads the data-sources page: %d", r.Status)
	}

	// Fixed again, the refusal clears.
	writeProjects(t, path, good)
	if err := p.App.Reload(ctx, "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(admin.Get("/sources").Body, `data-testid="projects-file-error"`) {
		t.Error("the refusal stays after the file was fixed")
	}
}

func TestReadyz_NeedsTheDatabaseAndEveryMigration(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}})
	b := p.Anonymous(t)
	if r := b.Get("/healthz"); r.Status != http.StatusOK || r.Body != "ok\n" {
		t.Fatalf("/healthz: %d %q", r.Status, r.Body)
	}
	if r := b.Get("/readyz"); r.Status != http.StatusOK || r.Body != "ready\n" {
		t.Fatalf("/readyz: %d %q", r.Status, r.Body)
	}
	// Another process changes the schema under the portal (a migration
	// record is missing, as after restoring an older file, or one is
	// unknown, as after a newer portal ran on it): not ready.
	conn, err := sql.Open("sqlite", "file:"+p.App.DB.Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	last := cache.Migrations()[len(cache.Migrations())-1]
	for _, change := range [][2]string{
		{`DELETE FROM schema_migrations WHERE name = '` + last + `'`, `INSERT INTO schema_migrations(name, applied_at) VALUES ('` + last + `', 0)`},
		{`INSERT INTO schema_migrations(name, applied_at) VALUES ('9999_future.sql', 0)`, `DELETE FROM schema_migrations WHERE name = '9999_future.sql'`},
	} {
		if _, err := conn.Exec(change[0]); err != nil {
			t.Fatal(err)
		}
		if r := b.Get("/readyz"); r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "schema") {
			t.Errorf("after %s: /readyz %d %q", change[0], r.Status, r.Body)
		}
		if r := b.Get("/healthz"); r.Status != http.StatusOK {
			t.Errorf("/healthz answers %d: the process is up", r.Status)
		}
		conn.Exec(change[1])
		if r := b.Get("/readyz"); r.Status != http.StatusOK {
			t.Errorf("after undoing it: /readyz %d", r.Status)
		}
	}
}

// tlsPortal runs a portal that serves HTTPS itself with the certificate
// and key files named by PORTAL_TLS_CERT_FILE and PORTAL_TLS_KEY_FILE.
type tlsPortal struct {
	url      string
	app      *app.App
	client   *http.Client
	certFile string
	keyFile  string
	cancel   context.CancelFunc
	done     chan error
}

// writeCert writes ca's server certificate (for 127.0.0.1) and key as PEM.
func writeCert(t *testing.T, ca *simtls.CA, certFile, keyFile string) {
	t.Helper()
	c := ca.ServerConfig().Certificates[0]
	var chain []byte
	for _, der := range c.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, chain, 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
}

func startTLSPortal(t *testing.T) *tlsPortal {
	t.Helper()
	dir := t.TempDir()
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	tp := &tlsPortal{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	writeCert(t, ca, tp.certFile, tp.keyFile)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp.url = "https://" + ln.Addr().String()
	w := world.New(1, 1)
	idp, stop, err := demo.StartIdP("127.0.0.1", tp.url, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	env := map[string]string{
		"PORTAL_DB": filepath.Join(dir, "portal.db"), "PORTAL_PUBLIC_URL": tp.url,
		"PORTAL_OIDC_ISSUER": idp.Issuer(), "PORTAL_OIDC_CLIENT_ID": demo.ClientID, "PORTAL_OIDC_CLIENT_SECRET": demo.ClientSecret,
		"PORTAL_TLS_CERT_FILE": tp.certFile, "PORTAL_TLS_KEY_FILE": tp.keyFile,
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tp.app, err = app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	tp.client = &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var ctx context.Context
	ctx, tp.cancel = context.WithCancel(context.Background())
	tp.done = make(chan error, 1)
	go func() { tp.done <- tp.app.Run(ctx, ln) }()
	t.Cleanup(func() {
		tp.cancel()
		<-tp.done
	})
	return tp
}

func TestTLS_ServesHTTPSWithHSTSAndSecureCookies(t *testing.T) {
	t.Parallel()
	tp := startTLSPortal(t)
	resp, err := tp.client.Get(tp.url + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" || resp.TLS == nil {
		t.Errorf("served as %s", resp.Proto)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("no HSTS: %q", hsts)
	}
	if len(resp.Cookies()) == 0 {
		t.Fatal("the sign-in set no cookie")
	}
	for _, c := range resp.Cookies() {
		if !c.Secure || !c.HttpOnly {
			t.Errorf("cookie %s: Secure %v HttpOnly %v", c.Name, c.Secure, c.HttpOnly)
		}
	}
	// Plain HTTP on the HTTPS port is refused, not answered.
	plain := &http.Client{Timeout: 5 * time.Second}
	if r, err := plain.Get(strings.Replace(tp.url, "https:", "http:", 1) + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			t.Error("the HTTPS port answered plain HTTP")
		}
	}

	// A renewed certificate is served after a reload, without a restart.
	renewed, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	writeCert(t, renewed, tp.certFile, tp.keyFile)
	if err := tp.app.Reload(context.Background(), "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: renewed.ClientConfig()}}
	r, err := fresh.Get(tp.url + "/healthz")
	if err != nil {
		t.Fatalf("the renewed certificate is not served: %v", err)
	}
	r.Body.Close()
	// A broken pair is refused and the renewed one stays.
	os.WriteFile(tp.keyFile, []byte("not a key"), 0o600)
	if err := tp.app.Reload(context.Background(), "SIGHUP"); err == nil {
		t.Error("a broken key was accepted")
	}
	fresh.CloseIdleConnections()
	if r, err := fresh.Get(tp.url + "/healthz"); err != nil {
		t.Fatalf("after a refused reload: %v", err)
	} else {
		r.Body.Close()
	}
}

// Signed-in browsers keep HTTP/2 connections open; the portal still stops
// at once when nothing is in flight.
func TestTLS_StopsPromptlyWithOpenHTTP2Connections(t *testing.T) {
	t.Parallel()
	tp := startTLSPortal(t)
	for range 3 {
		resp, err := tp.client.Get(tp.url + "/auth/login")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	start := time.Now()
	tp.cancel()
	if err := <-tp.done; err != nil {
		t.Fatal(err)
	}
	tp.done <- nil
	took := time.Since(start)
	t.Logf("stopped in %v", took)
	if took >= time.Second {
		t.Fatalf("stopping took %v", took)
	}
}
