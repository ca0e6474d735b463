// Package apptest starts a whole portal for integration tests: a real
// SQLite file, the upstream simulators and the development identity
// provider on loopback, and the portal's HTTP server; Login signs a person
// in through the provider's form the way a browser does.
package apptest

import (
	"context"
	"crypto/tls"
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/devoidc"
	"github.com/accounting-portal/portal/internal/mailcatch"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim"
)

// Options choose what runs.
type Options struct {
	// Upstreams to simulate and configure: "argo", "obi", "amie", "vergeos".
	// Nil means all four.
	Upstreams []string
	Seed      int64
	Scale     float64
	// Env overrides PORTAL_* settings. Every sync interval defaults to an
	// hour, so no scheduled sync runs during a test: a test that needs a
	// sync asks for it (Portal.SyncNow).
	Env map[string]string
	// TLS serves the portal over HTTPS (a certificate from the simulators'
	// CA) with an https public URL, as in production.
	TLS bool
	// DemoMail mounts /demo/mail on the catcher, as `portal demo` does.
	DemoMail bool
}

// Portal is a running portal.
type Portal struct {
	URL  string
	App  *app.App
	IdP  *devoidc.Provider
	Sims *sim.Running
	Dir  string
	// Mail is the SMTP catcher the portal mails to, as the demo's does
	// (unless Options.Env names another server).
	Mail *mailcatch.Catcher
	// Clock is the portal's clock: the real time, moved forward by the
	// test (the simulators keep the real time).
	Clock *Clock
	// tls is the client configuration that trusts the portal (TLS only).
	tls *tls.Config
	// waits are the waits the portal imposed on sign-ins after failed ones.
	mu    sync.Mutex
	waits []time.Duration
	// stop ends the portal, the identity provider and the simulators.
	stop func() error
}

// Clock is the real time moved forward by Advance; safe for concurrent use.
type Clock struct{ skew atomic.Int64 }

// Now is the real time plus every Advance so far.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.skew.Load())) }

// Advance moves the clock forward by d, as if d had passed for the portal:
// an outbox retry or look-up due within d becomes due.
func (c *Clock) Advance(d time.Duration) { c.skew.Add(int64(d)) }

// startTimeout bounds the start of a portal with the first sync of each
// upstream (under the race detector on a busy machine, a while).
const startTimeout = 5 * time.Minute

// Start runs a portal until the test ends. It returns once each configured
// upstream's first sync (the run at start) has succeeded, so pages show
// the simulators' data; a failed first sync fails the test.
func Start(t testing.TB, o Options) *Portal {
	t.Helper()
	p, err := Launch(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("portal stopped with %v", err)
		}
	})
	return p
}

// Launch is Start for a portal that outlives one test (one shared by a
// package's tests): it runs in a temporary directory of its own until
// Close.
func Launch(o Options) (_ *Portal, err error) {
	if o.Upstreams == nil {
		o.Upstreams = []string{"argo", "obi", "amie", "vergeos"}
	}
	dir, err := os.MkdirTemp("", "apptest-")
	if err != nil {
		return nil, err
	}
	var stops []func() error
	stop := func() error {
		var errs []error
		for i := len(stops) - 1; i >= 0; i-- {
			errs = append(errs, stops[i]())
		}
		errs = append(errs, os.RemoveAll(dir))
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	stops = append(stops, func() error { ln.Close(); return nil })
	publicURL := "http://" + ln.Addr().String()
	if o.TLS {
		publicURL = "https://" + ln.Addr().String()
	}
	// Sixty days of ARGO history cover every page's default range and
	// save most of a full sync (a year costs 20 s under the race detector).
	sc := sim.Config{TLSDir: dir, Seed: o.Seed, Scale: o.Scale, ArgoDays: 60}
	for _, u := range o.Upstreams {
		switch u {
		case "argo":
			sc.Argo = "127.0.0.1:0"
		case "obi":
			sc.OBI = "127.0.0.1:0"
		case "amie":
			sc.AMIE = "127.0.0.1:0"
		case "vergeos":
			sc.VergeOS = "127.0.0.1:0"
		default:
			return nil, fmt.Errorf("apptest: no upstream %q", u)
		}
	}
	sims, err := sim.Start(sc)
	if err != nil {
		return nil, err
	}
	stops = append(stops, func() error { return sims.Close(context.Background()) })
	idp, stopIdP, err := demo.StartIdP("127.0.0.1", publicURL, sims.World)
	if err != nil {
		return nil, err
	}
	stops = append(stops, func() error { stopIdP(); return nil })
	projects := filepath.Join(dir, "projects.json")
	if err := demo.WriteCatalog(projects, demo.Catalog(sims.World)); err != nil {
		return nil, err
	}
	env := demo.Env(dir, publicURL, idp.Issuer(), projects, sims.Info)
	catcher, err := mailcatch.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	stops = append(stops, func() error { catcher.Close(); return nil })
	demo.MailEnv(env, catcher)
	for _, k := range []string{"PORTAL_ARGO_INTERVAL", "PORTAL_OBI_INTERVAL", "PORTAL_AMIE_INTERVAL", "PORTAL_VERGEOS_INTERVAL"} {
		if _, ok := env[k]; ok {
			env[k] = "1h"
		}
	}
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		return nil, err
	}
	logw := io.Discard
	if os.Getenv("PORTAL_TEST_LOG") != "" {
		logw = os.Stderr
	}
	clock := &Clock{}
	pt := &Portal{URL: publicURL, IdP: idp, Sims: sims, Dir: dir, Clock: clock, Mail: catcher, stop: stop}
	// The portal's waits after failed sign-ins are recorded, not slept:
	// tests check the portal's decision, not how long a request took.
	opts := app.Options{Logger: slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: clock.Now,
		LoginSlowdown: func(_ context.Context, d time.Duration) {
			pt.mu.Lock()
			defer pt.mu.Unlock()
			pt.waits = append(pt.waits, d)
		}}
	if o.DemoMail {
		opts.DemoMail = catcher
	}
	a, err := app.New(context.Background(), cfg, opts)
	if err != nil {
		return nil, err
	}
	pt.App = a
	var serve net.Listener = ln
	if o.TLS {
		serve = tls.NewListener(ln, sims.CA.ServerConfig())
		pt.tls = sims.CA.ClientConfig()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, serve) }()
	stops = append(stops, func() error {
		cancel()
		return <-done
	})
	wait, cancelWait := context.WithTimeout(context.Background(), startTimeout)
	defer cancelWait()
	for _, u := range o.Upstreams {
		if _, err := a.Sync.FirstRun(wait, u); err != nil {
			return nil, fmt.Errorf("apptest: the first %s sync: %w", u, err)
		}
	}
	return pt, nil
}

// LoginWaits returns the waits the portal has imposed on sign-ins after
// failed ones, in order (the portal does not actually wait in tests).
func (p *Portal) LoginWaits() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.waits)
}

// Close stops the portal, its identity provider and simulators, and
// removes its directory.
func (p *Portal) Close() error { return p.stop() }

// SyncNow runs the upstream's sync and returns once a run that started
// after the call is recorded (see syncer.Scheduler.SyncNow); a failed run
// fails the test.
func (p *Portal) SyncNow(t testing.TB, upstream string) portal.SyncRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	run, err := p.App.Sync.SyncNow(ctx, upstream)
	if err != nil {
		t.Fatalf("the %s sync: %v", upstream, err)
	}
	return run
}

// TriggeredSync waits for the sync something asked for (an applied budget
// change triggers an OBI sync, a delivered generate a VergeOS one) and
// returns it: the latest run, once the upstream's sync is neither running
// nor asked for (see syncer.Scheduler.Idle). A failed run fails the test.
func (p *Portal) TriggeredSync(t testing.TB, upstream string) portal.SyncRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	run, err := p.App.Sync.Idle(ctx, upstream)
	if err != nil {
		t.Fatalf("the %s sync: %v", upstream, err)
	}
	return run
}

// DeliverOutbox has the outbox deliver every item due now and returns once
// they are settled (see outbox.Dispatcher.DeliverNow). Items waiting for a
// retry or a look-up become due when the test advances p.Clock.
func (p *Portal) DeliverOutbox(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := p.App.Outbox.DeliverNow(ctx); err != nil {
		t.Fatalf("delivering the outbox: %v", err)
	}
}

// NotifyNow runs a round of the notifier and returns once it is done: the
// events that time raises (reminders, failing sources) are then written,
// and the mail due is queued.
func (p *Portal) NotifyNow() { p.App.NotifyNow(context.Background()) }

// Browser is an HTTP client with cookies, signed in or not.
type Browser struct {
	t      testing.TB
	base   string
	Client *http.Client
	csrf   string
}

// Anonymous returns a browser that has not signed in. It does not follow
// redirects, so tests see them.
func (p *Portal) Anonymous(t testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if p.tls != nil {
		c.Transport = &http.Transport{TLSClientConfig: p.tls}
	}
	return &Browser{t: t, base: p.URL, Client: c}
}

// Login signs in as a demo user ("admin", "manager" or "viewer").
func (p *Portal) Login(t testing.TB, user string) *Browser {
	t.Helper()
	b := p.Anonymous(t)
	resp := b.SignIn(user, "/")
	if resp.Status != http.StatusOK {
		t.Fatalf("login as %s ended with %d: %s", user, resp.Status, resp.Body)
	}
	return b
}

// SignIn walks the sign-in from /auth/login to the page it returns to and
// returns that last answer.
func (b *Browser) SignIn(user, returnTo string) *Response {
	b.t.Helper()
	r := b.Get("/auth/login?return_to=" + url.QueryEscape(returnTo))
	if r.Status != http.StatusFound {
		b.t.Fatalf("/auth/login: %d", r.Status)
	}
	form := b.GetURL(r.Header.Get("Location"))
	if form.Status != http.StatusOK {
		b.t.Fatalf("provider form: %d %s", form.Status, form.Body)
	}
	cb := b.SubmitProviderForm(r.Header.Get("Location"), form.Body, user)
	return b.follow(cb)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`)

// SubmitProviderForm posts the provider's sign-in form for user and returns
// the provider's answer (a redirect to the portal's callback).
func (b *Browser) SubmitProviderForm(formURL, html, user string) *Response {
	b.t.Helper()
	vals := url.Values{"user": {user}}
	for _, m := range hiddenRE.FindAllStringSubmatch(html, -1) {
		vals.Set(m[1], unescape(m[2]))
	}
	u, _ := url.Parse(formURL)
	u.RawQuery = ""
	return b.do("POST", u.String(), strings.NewReader(vals.Encode()), "application/x-www-form-urlencoded", nil)
}

// follow follows redirects from r and returns the final answer.
func (b *Browser) follow(r *Response) *Response {
	for i := 0; i < 10 && r.Status >= 300 && r.Status < 400; i++ {
		r = b.GetURL(r.Header.Get("Location"))
	}
	return r
}

func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// Response is an answer with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Get fetches a path of the portal.
func (b *Browser) Get(path string) *Response { return b.GetURL(b.base + path) }

// GetURL fetches an absolute URL (the portal or the provider).
func (b *Browser) GetURL(u string) *Response {
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	return b.do("GET", u, nil, "", nil)
}

// Post sends a form to a path with the session's CSRF token added.
func (b *Browser) Post(path string, form url.Values) *Response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", b.CSRF())
	}
	return b.PostRaw(path, form, nil)
}

// PostRaw sends a form exactly as given, with extra headers.
func (b *Browser) PostRaw(path string, form url.Values, header http.Header) *Response {
	return b.do("POST", b.base+path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", header)
}

// Do sends any request to a path of the portal.
func (b *Browser) Do(method, path string, body io.Reader, contentType string, header http.Header) *Response {
	return b.do(method, b.base+path, body, contentType, header)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// CSRF returns the session's CSRF token, read from a page like a browser would.
func (b *Browser) CSRF() string {
	b.t.Helper()
	if b.csrf == "" {
		r := b.Get("/")
		m := csrfRE.FindStringSubmatch(r.Body)
		if m == nil {
			b.t.Fatalf("no CSRF token on the home page (status %d)", r.Status)
		}
		b.csrf = m[1]
	}
	return b.csrf
}

// Cookie returns the value of a portal cookie, or "".
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *Browser) do(method, u string, body io.Reader, contentType string, header http.Header) *Response {
	b.t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

// Eventually polls ok every 50 ms until it holds, failing the test after
// limit. It is for what no hook can announce (a file watcher's next look);
// a sync or a delivery is waited for with SyncNow or DeliverOutbox.
func Eventually(t testing.TB, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !ok(); {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr data-row[^>]*>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td[^>]*data-col="([a-z_]+)"[^>]*>(.*?)</td>`)
	tagRE  = regexp.MustCompile(`<[^>]+>`)
)

// TableRows reads the rows of a page's data table as column → text: rows
// are <tr data-row ...> and cells <td data-col="name">, the convention of
// the portal's tables.
func TableRows(body string) []map[string]string {
	var out []map[string]string
	for _, r := range rowRE.FindAllStringSubmatch(body, -1) {
		row := map[string]string{}
		for _, c := range cellRE.FindAllStringSubmatch(r[1], -1) {
			row[c[1]] = strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(c[2], "")))
		}
		out = append(out, row)
	}
	return out
}

// CSVRecords reads a CSV download as header → value rows, failing the test
// when the answer is not a CSV.
func CSVRecords(t testing.TB, r *Response) []map[string]string {
	t.Helper()
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV answered %d %s: %.300s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("CSV: %v", err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		out = append(out, row)
	}
	return out
}
