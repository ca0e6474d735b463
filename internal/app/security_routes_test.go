package app_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/handlers"
	"github.com/accounting-portal/portal/web/static"
)

// The security table: every route, every kind of person, the exact
// status each must get. Each area appends its rows in an init function
// of its own file (routes_<area>_test.go), with one row per URL that
// matters: its own project's object, another project's (404), the CSV
// twin of each. A registered route without a row fails the test.

// secRoles are the people the table speaks of, in column order.
var secRoles = [5]string{"anonymous", "viewer", "manager", "manager-b", "admin"}

// statuses are the expected statuses, in secRoles order.
type statuses [5]int

// routeCase is one request of the table.
type routeCase struct {
	Method string
	Route  string // the registered pattern
	URL    string // what is requested (default: Route)
	Want   statuses
	// Skip says why the route is not requested here (and which test covers it).
	Skip string
	// Upload marks a route that takes a file (its body limit is
	// handlers.UploadBodyLimit, not the forms' limit).
	Upload bool
	// API marks a route of the JSON API: requested with the role's token
	// instead of its cookies (routes_api_test.go).
	API bool
}

// Shapes of expectations.
func everyone(s int) statuses { return statuses{s, s, s, s, s} }

// page is a GET that needs sign-in: anonymous people are sent to sign in.
func page(viewer, manager, managerB, admin int) statuses {
	return statuses{http.StatusFound, viewer, manager, managerB, admin}
}

// adminPage and adminPost are for admins only.
func adminPage(s int) statuses { return page(403, 403, 403, s) }
func adminPost(s int) statuses { return statuses{http.StatusUnauthorized, 403, 403, 403, s} }

// syncedBeforeRoutes lists the upstreams whose first sync the table waits
// for, because some rows ask for real upstream objects; areas append theirs.
var syncedBeforeRoutes []string

// routeTable holds the core's routes; areas append theirs.
var routeTable = []routeCase{
	{Method: "GET", Route: "/static/*", URL: static.URL("css/portal.css"), Want: everyone(200)},
	{Method: "GET", Route: "/favicon.ico", Want: everyone(http.StatusMovedPermanently)},
	{Method: "GET", Route: "/healthz", Want: everyone(200)},
	{Method: "GET", Route: "/readyz", Want: everyone(200)},
	{Method: "GET", Route: "/auth/login", Want: everyone(http.StatusFound)},
	{Method: "GET", Route: "/auth/signed-out", Want: everyone(200)},
	// A callback of no sign-in started here is refused and counts against
	// nobody (security_signin_test.go); real ones: TestLogin_Refused.
	{Method: "GET", Route: "/auth/callback", Want: everyone(http.StatusUnauthorized)},
	{Method: "POST", Route: "/auth/logout", Skip: "it ends the session; TestLogout_EndsSessionHereAndAtTheProvider and TestCSRF_Refused cover it"},
	{Method: "GET", Route: "/", Want: page(200, 200, 200, 200)},
	{Method: "GET", Route: "/sources", Want: adminPage(200)},
	{Method: "GET", Route: "/sources.csv", Want: adminPage(200)},
	// A sync of an unknown upstream: admins get 404, nobody else gets that far.
	{Method: "POST", Route: "/sources/:upstream/sync", URL: "/sources/nosuch/sync", Want: adminPost(404)},
	{Method: "GET", Route: "/outbox", Want: adminPage(200)},
	{Method: "GET", Route: "/outbox", URL: "/outbox?state=dead&page=2", Want: adminPage(200)},
	{Method: "GET", Route: "/outbox", URL: "/outbox?state=nonsense", Want: adminPage(400)},
	{Method: "GET", Route: "/outbox.csv", Want: adminPage(200)},
	{Method: "GET", Route: "/outbox/:id", URL: "/outbox/999999", Want: adminPage(404)},
	{Method: "GET", Route: "/outbox/:id", URL: "/outbox/999999.csv", Want: adminPage(404)},
	{Method: "GET", Route: "/outbox/:id", URL: "/outbox/not-a-number", Want: adminPage(404)},
	{Method: "POST", Route: "/outbox/:id/resolve", URL: "/outbox/999999/resolve", Want: adminPost(404)},
	{Method: "POST", Route: "/outbox/:id/requeue", URL: "/outbox/999999/requeue", Want: adminPost(404)},
}

// secBrowsers signs in one browser per role.
func secBrowsers(t *testing.T, p *apptest.Portal) map[string]*apptest.Browser {
	b := map[string]*apptest.Browser{"anonymous": p.Anonymous(t)}
	for _, r := range secRoles[1:] {
		b[r] = p.Login(t, r)
	}
	return b
}

// TestSecurity_EveryRouteEveryRole requests every row of the table as
// every role and checks the status, the sign-in redirect, and the
// security headers of each answer.
func TestSecurity_EveryRouteEveryRole(t *testing.T) {
	p := apptest.Start(t, apptest.Options{})
	browsers := secBrowsers(t, p)
	p.WaitSynced(t, syncedBeforeRoutes...)
	covered := map[string]bool{}
	for _, rc := range routeTable {
		covered[rc.Method+" "+rc.Route] = true
		if rc.Skip != "" {
			continue
		}
		u := rc.URL
		if u == "" {
			u = rc.Route
		}
		for i, role := range secRoles {
			b := browsers[role]
			var r *apptest.Response
			if rc.API {
				r = securityAPIRequest(t, p, role, rc.Method, u)
			} else if rc.Method == "GET" {
				r = b.Get(u)
			} else {
				form := url.Values{}
				if role != "anonymous" {
					form.Set("csrf_token", b.CSRF())
				}
				r = b.PostRaw(u, form, nil)
			}
			if r.Status != rc.Want[i] {
				t.Errorf("%s %s as %s: %d, want %d", rc.Method, u, role, r.Status, rc.Want[i])
			}
			if r.Status == http.StatusFound && role == "anonymous" && rc.Route != "/auth/login" &&
				r.Header.Get("Location") != "/auth/login?return_to="+url.QueryEscape(u) {
				t.Errorf("%s %s as anonymous: redirect to %q, want the sign-in with this page as return address", rc.Method, u, r.Header.Get("Location"))
			}
			checkSecurityHeaders(t, rc.Method+" "+u+" as "+role, r)
			if rc.Method == "GET" {
				// Load balancers health-check with HEAD: every GET answers
				// HEAD the same way, without a body.
				h := b.Do("HEAD", u, nil, "", nil)
				if rc.API {
					h = securityAPIRequest(t, p, role, "HEAD", u)
				}
				if h.Status != rc.Want[i] || h.Body != "" || h.Header.Get("Content-Type") != r.Header.Get("Content-Type") {
					t.Errorf("HEAD %s as %s: %d %q with %d bytes of body, want %d %q and none", u, role, h.Status,
						h.Header.Get("Content-Type"), len(h.Body), rc.Want[i], r.Header.Get("Content-Type"))
				}
			}
		}
	}
	heads := map[string]bool{}
	for _, rt := range p.App.Echo.Routes() {
		if rt.Method == "HEAD" {
			heads[rt.Path] = true
		}
	}
	for _, rt := range p.App.Echo.Routes() {
		if rt.Method == "GET" && !heads[rt.Path] {
			t.Errorf("GET %s has no HEAD route", rt.Path)
		}
	}
	for _, rt := range p.App.Handler.Routes() {
		if !covered[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s (%s) has no row in routeTable: add its expected statuses (routes_<area>_test.go)", rt.Method, rt.Path, rt.Access)
		}
	}
	// The same synced portal (a sync under the race detector takes a while)
	// serves the checks of what another project's ids in a URL return.
	t.Run("another project's ids in CSV filters", func(t *testing.T) { anotherProjectsCSVs(t, p, browsers) })
}

// checkSecurityHeaders checks the protective headers every answer carries.
func checkSecurityHeaders(t *testing.T, what string, r *apptest.Response) {
	t.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "object-src 'none'") || !strings.Contains(csp, "base-uri 'none'") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: %s = %q, want %q", what, h, got, want)
		}
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") && !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("%s: a page without Cache-Control: no-store (%q) can be shown again from the cache after sign-out", what, r.Header.Get("Cache-Control"))
	}
}

// TestSecurity_EveryPostRefusesForgedAndOversizedRequests sends each
// state-changing route of the table, as an admin (who may use them all),
// a request without the CSRF token, with a wrong one, from another
// origin, from another site, and one too large: each is refused before
// the handler runs.
func TestSecurity_EveryPostRefusesForgedAndOversizedRequests(t *testing.T) {
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}})
	admin := p.Login(t, "admin")
	token := admin.CSRF()
	posts := 0
	sent := map[string]bool{}
	for _, rc := range routeTable {
		if rc.Method != "POST" || rc.Skip != "" || rc.API {
			continue
		}
		posts++
		sent[rc.Route] = true
		u := rc.URL
		if u == "" {
			u = rc.Route
		}
		cases := []struct {
			name   string
			form   url.Values
			header http.Header
			status int
			says   string
			query  string
		}{
			{"missing token", url.Values{}, nil, 403, "expired", ""},
			{"wrong token", url.Values{"csrf_token": {wrongToken(token)}}, nil, 403, "expired", ""},
			{"token in the wrong place", url.Values{"csrf": {token}}, nil, 403, "expired", ""},
			// A token in the URL ends up in request logs and the browser's
			// history, so only the body or a header may carry it.
			{"token in the query string", url.Values{"x": {"1"}}, nil, 403, "expired", "csrf_token=" + url.QueryEscape(token)},
			{"cross-origin", url.Values{"csrf_token": {token}}, http.Header{"Origin": {"https://evil.example"}}, 403, "another site", ""},
			{"cross-site fetch", url.Values{"csrf_token": {token}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403, "another site", ""},
			{"oversized", url.Values{"csrf_token": {token}, "x": {strings.Repeat("a", 2<<20)}}, nil, http.StatusRequestEntityTooLarge, "larger than the portal accepts", ""},
		}
		if rc.Upload {
			// The oversized case of an upload is a file past the upload limit
			// (with its length declared, as browsers send files), with the
			// token in the header as a script would send it.
			cases = cases[:len(cases)-1]
			r := admin.Do("POST", u, bytes.NewReader(make([]byte, uploadLimit(t)+1<<20)), "multipart/form-data; boundary=x",
				http.Header{"X-Csrf-Token": {token}})
			if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "larger than the portal accepts") {
				t.Errorf("POST %s, oversized upload: %d, want 413 saying so", u, r.Status)
			}
		}
		for _, tc := range cases {
			target := u
			if tc.query != "" {
				target += "?" + tc.query
			}
			r := admin.PostRaw(target, tc.form, tc.header)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.says) {
				t.Errorf("POST %s, %s: %d, want %d saying %q", u, tc.name, r.Status, tc.status, tc.says)
			}
		}
	}
	if posts == 0 {
		t.Fatal("no state-changing route in the table")
	}
	// Every form of every area was sent forged: a POST route without a
	// requested row would escape this test. (Sign-out is skipped in the
	// table; TestCSRF_Refused sends it forged.)
	for _, rt := range p.App.Handler.Routes() {
		// The API takes no cookie, so it has no CSRF to forge
		// (TestAPI_WholeStack: a cookie never opens it).
		if rt.Method == "POST" && !sent[rt.Path] && rt.Path != "/auth/logout" && !strings.HasPrefix(rt.Path, "/api/") {
			t.Errorf("POST %s was not sent forged: give it a requested row in routeTable", rt.Path)
		}
	}
	// The session survived all that: the refusals changed nothing.
	if r := admin.Get("/"); r.Status != 200 {
		t.Fatalf("after the refused requests the home page answers %d", r.Status)
	}
}

// uploadLimit is handlers.UploadBodyLimit in bytes.
func uploadLimit(t *testing.T) int64 {
	n, err := strconv.ParseInt(strings.TrimSuffix(handlers.UploadBodyLimit, "M"), 10, 64)
	if err != nil || !strings.HasSuffix(handlers.UploadBodyLimit, "M") {
		t.Fatalf("cannot read the upload limit %q", handlers.UploadBodyLimit)
	}
	return n << 20
}

// wrongToken returns a token of the same length and alphabet as token that
// differs from it in its first character (always: a fixed replacement
// would equal the real token whenever it already starts with that character).
func wrongToken(token string) string {
	first := "0"
	if strings.HasPrefix(token, "0") {
		first = "1"
	}
	return first + token[1:]
}
