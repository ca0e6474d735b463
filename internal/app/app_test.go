package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/web/static"
)

func TestLogin_EachDemoUserSeesRoleAndProjects(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	cases := []struct {
		user, name, roles string
		projects          []string
		notProjects       []string
	}{
		{"admin", "Ada Admin", "admin", nil, nil},
		{"manager", "Max Manager", "manager", []string{"neuro-sim", "brain-atlas"}, []string{"climate-ml"}},
		{"viewer", "Vera Viewer", "viewer", []string{"climate-ml"}, []string{"neuro-sim"}},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			b := p.Login(t, tc.user)
			home := b.Get("/")
			if home.Status != 200 || !strings.Contains(home.Body, `data-testid="user-name">`+tc.name) {
				t.Fatalf("home for %s: %d\n%s", tc.user, home.Status, home.Body)
			}
			roles := between(home.Body, `data-testid="user-roles">`, "</dd>")
			if !strings.Contains(roles, ">"+tc.roles+"<") {
				t.Errorf("roles %q do not show %s", roles, tc.roles)
			}
			for _, pr := range tc.projects {
				if !strings.Contains(home.Body, `data-project="`+pr+`"`) {
					t.Errorf("%s's home does not list project %s", tc.user, pr)
				}
			}
			for _, pr := range tc.notProjects {
				if strings.Contains(home.Body, `data-project="`+pr+`"`) {
					t.Errorf("%s's home lists project %s", tc.user, pr)
				}
			}
			for _, up := range []string{"obi", "argo", "amie", "vergeos"} {
				if !strings.Contains(home.Body, `data-testid="tile-`+up+`"`) {
					t.Errorf("no tile for %s", up)
				}
			}
		})
	}
}

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, to)
	return before
}

func TestLogin_ReturnsToTheAskedPageButNeverOffSite(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	b := p.Anonymous(t)
	r := b.Get("/sources?x=1")
	if r.Status != http.StatusFound || r.Header.Get("Location") != "/auth/login?return_to=%2Fsources%3Fx%3D1" {
		t.Fatalf("anonymous page view: %d %s", r.Status, r.Header.Get("Location"))
	}
	final := b.SignIn("admin", "/sources?x=1")
	if final.Status != 200 || !strings.Contains(final.Body, "<h1>Data sources</h1>") {
		t.Fatalf("did not return to /sources: %d", final.Status)
	}
	for _, evil := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
		b := p.Anonymous(t)
		final := b.SignIn("viewer", evil)
		if final.Status != 200 || !strings.Contains(final.Body, "<h1>Welcome") {
			t.Errorf("return_to %q did not end on the home page (%d)", evil, final.Status)
		}
	}
}

// startLogin runs a sign-in up to the provider's redirect back to the portal.
func startLogin(t *testing.T, p *apptest.Portal, b *apptest.Browser, user string) *url.URL {
	t.Helper()
	r := b.Get("/auth/login")
	form := b.GetURL(r.Header.Get("Location"))
	cb := b.SubmitProviderForm(r.Header.Get("Location"), form.Body, user)
	if cb.Status != http.StatusFound {
		t.Fatalf("provider answered %d: %s", cb.Status, cb.Body)
	}
	u, _ := url.Parse(cb.Header.Get("Location"))
	return u
}

func TestLogin_Refused(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}})
	expectRefused := func(t *testing.T, b *apptest.Browser, cb string) {
		t.Helper()
		r := b.GetURL(cb)
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Please sign in again") {
			t.Fatalf("callback answered %d: %s", r.Status, r.Body)
		}
		if b.Cookie(auth.SessionCookie) != "" {
			t.Fatal("a refused sign-in left a session cookie")
		}
		if home := b.Get("/"); home.Status != http.StatusFound {
			t.Fatalf("after a refused sign-in the home page answered %d", home.Status)
		}
	}
	t.Run("forged state", func(t *testing.T) {
		b := p.Anonymous(t)
		cb := startLogin(t, p, b, "admin")
		q := cb.Query()
		q.Set("state", "forged-"+q.Get("state"))
		cb.RawQuery = q.Encode()
		expectRefused(t, b, cb.String())
	})
	tamper := map[string]func(map[string]any){
		"wrong nonce": func(c map[string]any) { c["nonce"] = "not-the-nonce" },
		"expired token": func(c map[string]any) {
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		},
		"other audience": func(c map[string]any) { c["aud"] = "another-client"; c["azp"] = "another-client" },
		"other issuer":   func(c map[string]any) { c["iss"] = "https://evil.example" },
	}
	for name, fn := range tamper {
		t.Run(name, func(t *testing.T) {
			p.IdP.Tamper(fn)
			defer p.IdP.Tamper(nil)
			b := p.Anonymous(t)
			expectRefused(t, b, startLogin(t, p, b, "admin").String())
		})
	}
	t.Run("replayed callback", func(t *testing.T) {
		b := p.Anonymous(t)
		cb := startLogin(t, p, b, "admin")
		if r := b.GetURL(cb.String()); r.Status != http.StatusSeeOther {
			t.Fatalf("first use: %d", r.Status)
		}
		other := p.Anonymous(t)
		for _, c := range b.Client.Jar.Cookies(cb) {
			if strings.HasPrefix(c.Name, auth.LoginCookie) {
				other.Client.Jar.SetCookies(cb, []*http.Cookie{c})
			}
		}
		expectRefused(t, other, cb.String())
	})
	t.Run("two sign-ins at once both succeed", func(t *testing.T) {
		b := p.Anonymous(t)
		first := startLogin(t, p, b, "admin")
		second := startLogin(t, p, b, "admin")
		for _, cb := range []*url.URL{first, second} {
			if r := b.GetURL(cb.String()); r.Status != http.StatusSeeOther {
				t.Fatalf("callback %s: %d", cb, r.Status)
			}
		}
	})
	t.Run("no login cookie", func(t *testing.T) {
		b := p.Anonymous(t)
		cb := startLogin(t, p, b, "admin")
		expectRefused(t, p.Anonymous(t), cb.String())
	})
}

func TestLogin_NewSessionEachTime_CookieFlags(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	b := p.Anonymous(t)
	u, _ := url.Parse(p.URL)
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: "planted-by-attacker", Path: "/"}})
	r := b.Get("/auth/login")
	form := b.GetURL(r.Header.Get("Location"))
	cb := b.SubmitProviderForm(r.Header.Get("Location"), form.Body, "manager")
	final := b.GetURL(cb.Header.Get("Location"))
	var sc *http.Cookie
	for _, c := range (&http.Response{Header: final.Header}).Cookies() {
		if c.Name == auth.SessionCookie {
			sc = c
		}
	}
	if sc == nil || sc.Value == "planted-by-attacker" || sc.Value == "" {
		t.Fatalf("session cookie after login: %+v", sc)
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/" {
		t.Errorf("cookie flags: %+v", sc)
	}
	first := b.Cookie(auth.SessionCookie)
	b.SignIn("manager", "/")
	if second := b.Cookie(auth.SessionCookie); second == first || second == "" {
		t.Fatal("signing in again kept the session id")
	}
	// The first session is gone.
	old := p.Anonymous(t)
	old.Client.Jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: first, Path: "/"}})
	if r := old.Get("/"); r.Status != http.StatusFound {
		t.Fatalf("the replaced session still works: %d", r.Status)
	}
}

func TestLogout_EndsSessionHereAndAtTheProvider(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	b := p.Login(t, "viewer")
	token := b.Cookie(auth.SessionCookie)
	r := b.Post("/auth/logout", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	loc, _ := url.Parse(r.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), p.IdP.Issuer()+"/logout") || loc.Query().Get("id_token_hint") == "" ||
		loc.Query().Get("post_logout_redirect_uri") != p.URL+"/auth/signed-out" {
		t.Fatalf("logout redirect %s", loc)
	}
	back := b.GetURL(loc.String())
	if back.Header.Get("Location") != p.URL+"/auth/signed-out" {
		t.Fatalf("provider logout redirect %s", back.Header.Get("Location"))
	}
	if s := b.GetURL(back.Header.Get("Location")); s.Status != 200 || !strings.Contains(s.Body, "You have signed out") {
		t.Fatalf("signed-out page %d", s.Status)
	}
	replay := p.Anonymous(t)
	u, _ := url.Parse(p.URL)
	replay.Client.Jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: token, Path: "/"}})
	if r := replay.Get("/"); r.Status != http.StatusFound {
		t.Fatalf("the session survived logout: %d", r.Status)
	}
}

func TestCSRF_Refused(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	b := p.Login(t, "admin")
	// Sign-out is a state-changing form every signed-in person has.
	const path = "/auth/logout"
	cases := map[string]struct {
		form   url.Values
		header http.Header
	}{
		"missing token":        {url.Values{}, nil},
		"wrong token":          {url.Values{"csrf_token": {"not-the-token"}}, nil},
		"other user's token":   {url.Values{"csrf_token": {p.Login(t, "manager").CSRF()}}, nil},
		"cross-site request":   {url.Values{"csrf_token": {b.CSRF()}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		"cross-origin request": {url.Values{"csrf_token": {b.CSRF()}}, http.Header{"Origin": {"https://evil.example"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := b.PostRaw(path, tc.form, tc.header)
			if r.Status != http.StatusForbidden {
				t.Fatalf("%s: %d", name, r.Status)
			}
		})
	}
	if r := b.Post(path, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("with the token: %d %s", r.Status, r.Body)
	}
}

func TestSecurityHeadersAndHealth(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	b := p.Anonymous(t)
	for _, path := range []string{"/healthz", "/readyz", "/", "/nope", static.URL("css/portal.css"), "/auth/signed-out"} {
		r := b.Get(path)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q", path, h, got)
			}
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no request id", path)
		}
	}
	if r := b.Get("/healthz"); r.Status != 200 {
		t.Errorf("healthz %d", r.Status)
	}
	if r := b.Get("/readyz"); r.Status != 200 || !strings.Contains(r.Body, "ready") {
		t.Errorf("readyz %d", r.Status)
	}
	admin := p.Login(t, "admin")
	if r := admin.Get("/nope"); r.Status != 404 || !strings.Contains(r.Body, "There is no page at this address") {
		t.Errorf("404 page: %d", r.Status)
	}
	big := url.Values{"csrf_token": {admin.CSRF()}, "x": {strings.Repeat("a", 2<<20)}}
	if r := admin.PostRaw("/auth/logout", big, nil); r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "larger than the portal accepts") {
		t.Errorf("oversized form: %d", r.Status)
	}
}
