package auth

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

func TestSafeReturnTo(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "/",
		"/metrics?range=7d":            "/metrics?range=7d",
		"/budgets/x#frag":              "/budgets/x",
		"https://evil.example/":        "/",
		"//evil.example/path":          "/",
		"/\\evil.example":              "/",
		"javascript:alert(1)":          "/",
		"metrics":                      "/",
		"/a\r\nLocation: x":            "/",
		"/auth/logout":                 "/",
		"/%2F%2Fevil.example":          "/%2F%2Fevil.example",
		"/%2Fevil.example/{":           "/",
		"/%2Fevil.example/\"":          "/",
		"/usage?q=%3Cscript%3E":        "/usage?q=%3Cscript%3E",
		"http:/evil.example":           "/",
		"/ok/../../still-a-local-path": "/ok/../../still-a-local-path",
	} {
		if got := SafeReturnTo(in); got != want {
			t.Errorf("SafeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMapUser(t *testing.T) {
	m := RoleMapping{
		RolesClaim: "realm_access.roles", NameClaim: "name", AdminGroups: []string{"portal-admins"},
		Manager: regexp.MustCompile(`^project:(.+?):manager$`), Member: regexp.MustCompile(`^project:(.+?):member$`),
	}
	u := m.MapUser(map[string]any{
		"sub": "s1", "email": "x@example.org", "name": "X",
		"realm_access": map[string]any{"roles": []any{"project:b:manager", "project:a:member", "project:b:member", "other", 7}},
	})
	if u.Subject != "s1" || u.Admin || strings.Join(u.Manages, ",") != "b" || strings.Join(u.Member, ",") != "a,b" {
		t.Fatalf("user %+v", u)
	}
	if !u.CanManage("b") || u.CanManage("a") || !u.CanRead("a") || u.CanRead("c") {
		t.Fatalf("permissions of %+v", u)
	}
	admin := m.MapUser(map[string]any{"sub": "s2", "preferred_username": "ada", "realm_access": map[string]any{"roles": "portal-admins"}})
	if !admin.Admin || admin.Name != "ada" || !admin.Scope().All {
		t.Fatalf("admin %+v", admin)
	}
	// Claims of the wrong shape give no roles rather than an error.
	none := m.MapUser(map[string]any{"sub": "s3", "realm_access": "nope"})
	if none.Admin || len(none.Member) != 0 || none.Scope().Allows("a") {
		t.Fatalf("malformed claims gave roles: %+v", none)
	}
}

func TestCookieSecureFollowsPublicURL(t *testing.T) {
	for _, secure := range []bool{false, true} {
		a := &Auth{cfg: Config{Secure: secure}}
		c := a.cookie(SessionCookie, "v", 0)
		if c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("secure=%v: %+v", secure, c)
		}
	}
}

// failures is a Store that only counts login failures.
type failures struct {
	Store
	n int
}

func (f *failures) LoginFailures(context.Context, string, time.Duration) (int, error) {
	return f.n, nil
}
func (f *failures) RecordLoginFailure(context.Context, string) error { f.n++; return nil }
func (f *failures) CreatePendingLogin(context.Context, cache.PendingLogin) (string, error) {
	return "id", nil
}

func TestThrottle_SlowsThenRefuses(t *testing.T) {
	var waited []time.Duration
	st := &failures{}
	a := &Auth{store: st, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		cfg: Config{Slowdown: func(_ context.Context, d time.Duration) { waited = append(waited, d) }}}
	e := echo.New()
	for i := 0; i < 25; i++ {
		c := e.NewContext(httptest.NewRequest("GET", "/auth/callback", nil), httptest.NewRecorder())
		err := a.throttle(c.Request().Context(), "192.0.2.1")
		if i >= 20 {
			pe, ok := err.(*portal.Error)
			if !ok || pe.Status != http.StatusTooManyRequests || !strings.Contains(pe.Message, "Too many failed sign-in attempts") {
				t.Fatalf("failure %d: %v", i, err)
			}
		} else if err != nil {
			t.Fatalf("failure %d refused early: %v", i, err)
		}
		st.RecordLoginFailure(context.Background(), "x")
	}
	if len(waited) != 15 || waited[0] != time.Second || waited[14] != 15*time.Second {
		t.Fatalf("waits %v", waited)
	}
}

// TestCSRF_TokenOnlyFromBodyOrHeader sends the session's token in each
// place: the body and the header are read, the query string is not.
func TestCSRF_TokenOnlyFromBodyOrHeader(t *testing.T) {
	sess := &cache.Session{CSRFToken: "tok"}
	e := echo.New()
	h := CSRF()(func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	for _, tc := range []struct {
		name, query, body, header string
		ok                        bool
	}{
		{"body", "", "csrf_token=tok", "", true},
		{"header", "", "", "tok", true},
		{"query string", "?csrf_token=tok", "", "", false},
		{"query string and a wrong body", "?csrf_token=tok", "csrf_token=nope", "", false},
	} {
		req := httptest.NewRequest("POST", "/x"+tc.query, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.header != "" {
			req.Header.Set("X-CSRF-Token", tc.header)
		}
		req = req.WithContext(context.WithValue(req.Context(), sessionKey{}, sess))
		err := h(e.NewContext(req, httptest.NewRecorder()))
		if tc.ok != (err == nil) {
			t.Errorf("token in the %s: %v", tc.name, err)
		}
	}
}
