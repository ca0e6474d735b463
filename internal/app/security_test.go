package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sectest"
	"github.com/accounting-portal/portal/web/templates"
)

// TestSecurity_ProjectNamesAreEscaped plants every payload as a project
// name in the projects file and signs in a person who belongs to all of
// them (the ID token's groups say so): the home page shows each as text.
func TestSecurity_ProjectNamesAreEscaped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cat := portal.Catalog{}
	groups := []any{}
	for i, p := range sectest.Payloads {
		key := fmt.Sprintf("xss-%d", i)
		cat.Projects = append(cat.Projects, portal.CatalogProject{Key: key, Name: p.Raw, ArgoID: strings.ToUpper(key)})
		groups = append(groups, "project:"+key+":member")
	}
	file := filepath.Join(dir, "projects.json")
	b, _ := json.Marshal(cat)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}, Env: map[string]string{"PORTAL_PROJECTS_FILE": file}})
	p.IdP.Tamper(func(c map[string]any) { c["groups"] = groups })
	defer p.IdP.Tamper(nil)
	home := p.Login(t, "viewer").Get("/")
	if home.Status != 200 {
		t.Fatalf("home: %d", home.Status)
	}
	for _, pl := range sectest.Payloads {
		sectest.HTML(t, home.Body, pl)
	}
}

// TestSecurity_UpstreamErrorsAreEscaped makes an upstream answer each
// payload as its error message. The message travels the real way: the
// portal is configured with the hostile server as its ARGO, its client
// reads the message from the answer, its sync records it, and the
// data-sources page shows it as text.
func TestSecurity_UpstreamErrorsAreEscaped(t *testing.T) {
	t.Parallel()
	var next atomic.Pointer[string]
	next.Store(new(string))
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"code": 400, "message": *next.Load()})
	}))
	defer evil.Close()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}, Env: map[string]string{
		"PORTAL_ARGO_URL": evil.URL, "PORTAL_ARGO_TOKEN": "t", "PORTAL_ARGO_INTERVAL": "1h"}})
	for _, pl := range sectest.Payloads {
		next.Store(&pl.Raw)
		if run, err := p.App.Sync.SyncNow(context.Background(), portal.UpstreamArgo); err == nil || run.Error == "" {
			t.Fatalf("the sync against the hostile upstream succeeded: %+v", run)
		}
	}
	page := p.Login(t, "admin").Get("/sources")
	if page.Status != 200 {
		t.Fatalf("/sources: %d", page.Status)
	}
	for _, pl := range sectest.Payloads {
		sectest.HTML(t, page.Body, pl)
	}
}

// TestSecurity_OutboxTextIsEscapedAndCSVNeutralised queues writes whose
// summaries are the payloads: the outbox page, the item page and the CSV
// download carry them as text and as neutralised cells.
func TestSecurity_OutboxTextIsEscapedAndCSVNeutralised(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}})
	var ids []int64
	for i, pl := range sectest.Payloads {
		id, err := p.App.DB.Enqueue(context.Background(), portal.OutboxItem{Kind: "probe.xss", Upstream: portal.UpstreamArgo,
			Ref: fmt.Sprintf("probe:%d", i), Summary: pl.Raw, Payload: "{}", MaxAttempts: 1, CreatedBy: pl.Raw})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	admin := p.Login(t, "admin")
	list := admin.Get("/outbox?size=100")
	csv := admin.Get("/outbox.csv")
	if list.Status != 200 || csv.Status != 200 {
		t.Fatalf("outbox %d, csv %d", list.Status, csv.Status)
	}
	if cd := csv.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("CSV Content-Disposition %q", cd)
	}
	for i, pl := range sectest.Payloads {
		sectest.HTML(t, list.Body, pl)
		sectest.CSV(t, csv.Body, pl)
		item := admin.Get(fmt.Sprintf("/outbox/%d", ids[i]))
		if item.Status != 200 {
			t.Fatalf("item %d: %d", ids[i], item.Status)
		}
		sectest.HTML(t, item.Body, pl)
	}
}

// TestSecurity_ChartLabelsAreEscaped draws a chart whose title, unit and
// series names are payloads (metric names come from upstreams).
func TestSecurity_ChartLabelsAreEscaped(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, bars := range []bool{false, true} {
		spec := templates.ChartSpec{Title: sectest.Payloads[0].Raw, Unit: sectest.Payloads[1].Raw, Bars: bars, Width: 600, Height: 300}
		for i, pl := range sectest.Payloads {
			spec.Series = append(spec.Series, templates.TimeSeries{Name: pl.Raw, Points: []templates.TimePoint{
				{T: t0, V: float64(i)}, {T: t0.Add(24 * time.Hour), V: float64(i + 1)}}})
		}
		var buf bytes.Buffer
		if err := templates.Chart(templates.BuildChart(spec)).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		for _, pl := range sectest.Payloads {
			sectest.SVG(t, buf.String(), pl)
		}
	}
}

// TestSecurity_SecureCookiesOverHTTPS runs the portal with an https
// public URL behind TLS: every cookie it sets is Secure, HttpOnly and
// SameSite=Lax, and answers carry HSTS.
func TestSecurity_SecureCookiesOverHTTPS(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}, TLS: true})
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("portal URL %s", p.URL)
	}
	b := p.Anonymous(t)
	login := b.Get("/auth/login")
	form := b.GetURL(login.Header.Get("Location"))
	cb := b.SubmitProviderForm(login.Header.Get("Location"), form.Body, "manager")
	final := b.GetURL(cb.Header.Get("Location"))
	var names []string
	for _, r := range []*apptest.Response{login, final} {
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			names = append(names, c.Name)
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("cookie %s over https: %+v", c.Name, c)
			}
		}
	}
	if !strings.Contains(strings.Join(names, ","), auth.SessionCookie) || !strings.Contains(strings.Join(names, ","), auth.LoginCookie) {
		t.Fatalf("cookies set: %q, want the login and the session cookie", names)
	}
	if hsts := final.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("no HSTS over https: %q", hsts)
	}
	if home := b.Get("/"); home.Status != 200 {
		t.Fatalf("home over https: %d", home.Status)
	}
}

// Failed sign-ins, forged callbacks and the client address behind a
// proxy: security_signin_test.go.

// TestSecurity_ReturnAddressNeverOffSite signs in with hostile return
// addresses, including the one the fuzzer found (an escaped slash that
// re-encoding turned into a protocol-relative URL): each ends on a page
// of the portal.
func TestSecurity_ReturnAddressNeverOffSite(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	for _, evil := range []string{"/%2Fevil.example/{", "/%2Fevil.example/%22", "//evil.example", "https:evil.example", "/\t/evil.example",
		"\\\\evil.example", "/%5C%5Cevil.example", "http://127.0.0.1@evil.example/"} {
		b := p.Anonymous(t)
		r := b.Get("/auth/login?return_to=" + url.QueryEscape(evil))
		form := b.GetURL(r.Header.Get("Location"))
		cb := b.SubmitProviderForm(r.Header.Get("Location"), form.Body, "viewer")
		back := b.GetURL(cb.Header.Get("Location"))
		loc := back.Header.Get("Location")
		u, err := url.Parse(loc)
		if back.Status != http.StatusSeeOther || err != nil || u.Host != "" || u.Scheme != "" || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("return_to %q: the sign-in sent the browser to %q (%d)", evil, loc, back.Status)
		}
	}
}
