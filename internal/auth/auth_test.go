package auth

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

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

func TestThrottle_SlowsThenRefuses(t *testing.T) {
	var waited []time.Duration
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	a := &Auth{log: slog.New(slog.NewTextHandler(io.Discard, nil)), failures: newFailures(failWindow, 10),
		cfg: Config{Now: func() time.Time { return now }, Slowdown: func(_ context.Context, d time.Duration) { waited = append(waited, d) }}}
	req := httptest.NewRequest("GET", "/auth/login", nil)
	req.RemoteAddr = "192.0.2.1:4711"
	for i := 0; i < 25; i++ {
		err := a.throttle(req.Context(), req)
		if i >= 20 {
			pe, ok := err.(*portal.Error)
			if !ok || pe.Status != http.StatusTooManyRequests || !strings.Contains(pe.Message, "Too many failed sign-in attempts") {
				t.Fatalf("failure %d: %v", i, err)
			}
		} else if err != nil {
			t.Fatalf("failure %d refused early: %v", i, err)
		}
		a.failures.add(clientKey(netip.MustParseAddr("192.0.2.1")), now)
	}
	if len(waited) != 15 || waited[0] != time.Second || waited[14] != 15*time.Second {
		t.Fatalf("waits %v", waited)
	}
	// Another address is not affected, and the window ends.
	other := httptest.NewRequest("GET", "/auth/login", nil)
	other.RemoteAddr = "192.0.2.2:4711"
	if err := a.throttle(other.Context(), other); err != nil {
		t.Fatalf("another address: %v", err)
	}
	now = now.Add(failWindow)
	if err := a.throttle(req.Context(), req); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestThrottle_NotForUnknownClients: behind a trusted proxy that names no
// client, there is no real client address to count against, so nobody is
// refused (they would all share the proxy's address).
func TestThrottle_NotForUnknownClients(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	a := &Auth{log: slog.New(slog.DiscardHandler), failures: newFailures(failWindow, 10),
		cfg: Config{Now: func() time.Time { return now }, TrustedProxies: Proxies{netip.MustParsePrefix("10.0.0.0/8")}}}
	for range 30 {
		a.failures.add(clientKey(netip.MustParseAddr("10.0.0.1")), now)
	}
	req := httptest.NewRequest("GET", "/auth/login", nil)
	req.RemoteAddr = "10.0.0.1:4711"
	if err := a.throttle(req.Context(), req); err != nil {
		t.Fatalf("a request from the proxy without a forwarded client: %v", err)
	}
}

func TestProxies_Client(t *testing.T) {
	trusted := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	for _, tc := range []struct {
		name, peer string
		header     http.Header
		want       string
		real       bool
	}{
		{"direct", "192.0.2.1:1234", nil, "192.0.2.1", true},
		{"direct, forged XFF ignored", "192.0.2.1:1234", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "192.0.2.1", true},
		{"direct IPv6", "[2001:db8::5]:443", nil, "2001:db8::5", true},
		{"direct v4-in-v6", "[::ffff:192.0.2.1]:1234", nil, "192.0.2.1", true},
		{"proxy, one hop", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1", true},
		{"proxy, client forged the left hops", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1"}}, "198.51.100.1", true},
		{"two proxies", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"198.51.100.1, 10.0.0.3"}}, "198.51.100.1", true},
		{"headers repeated", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"1.2.3.4", "198.51.100.1"}}, "198.51.100.1", true},
		{"hop with port", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"198.51.100.1:5555"}}, "198.51.100.1", true},
		{"proxy without header", "10.0.0.2:1234", nil, "10.0.0.2", false},
		{"only proxies", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"10.1.1.1"}}, "10.0.0.2", false},
		{"garbage hop", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"198.51.100.1, bogus"}}, "10.0.0.2", false},
		{"Forwarded", "10.0.0.2:1234", http.Header{"Forwarded": {`for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"`}}, "2001:db8::17", true},
		{"Forwarded, proxy last", "[2001:db8:ffff::1]:1234", http.Header{"Forwarded": {`for=192.0.2.60, For="[2001:db8:ffff::9]"`}}, "192.0.2.60", true},
		{"Forwarded unknown", "10.0.0.2:1234", http.Header{"Forwarded": {"for=unknown"}}, "10.0.0.2", false},
		{"XFF wins over Forwarded", "10.0.0.2:1234", http.Header{"X-Forwarded-For": {"198.51.100.1"}, "Forwarded": {"for=192.0.2.60"}}, "198.51.100.1", true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for k, v := range tc.header {
			r.Header[k] = v
		}
		got, real := trusted.Client(r)
		if got.String() != tc.want || real != tc.real {
			t.Errorf("%s: %s %v, want %s %v", tc.name, got, real, tc.want, tc.real)
		}
	}
	if got, real := Proxies(nil).Client(&http.Request{RemoteAddr: "10.0.0.2:1", Header: http.Header{"X-Forwarded-For": {"198.51.100.1"}}}); got.String() != "10.0.0.2" || !real {
		t.Errorf("no trusted proxies: %s %v", got, real)
	}
	if k := clientKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); k.String() != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %s", k)
	}
}

func TestFailures_Bounded(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	f := newFailures(time.Minute, 3)
	key := func(i int) netip.Prefix { return clientKey(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})) }
	f.add(key(1), now)
	f.add(key(1), now)
	if n := f.count(key(1), now.Add(59*time.Second)); n != 2 {
		t.Fatalf("count %d", n)
	}
	if n := f.count(key(1), now.Add(time.Minute)); n != 0 {
		t.Fatalf("count after the window %d", n)
	}
	for i := 2; i < 100; i++ {
		f.add(key(i), now)
	}
	if len(f.entries) > 3 {
		t.Fatalf("%d entries, bound 3", len(f.entries))
	}
}

func TestSealer(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	s, err := newSealer()
	if err != nil {
		t.Fatal(err)
	}
	at := attempt{State: "st", Nonce: "no", Verifier: "verifier-secret", ReturnTo: "/x", Created: now.Unix()}
	v, err := s.seal("portal_login_1", at)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, "verifier-secret") || strings.Contains(v, base64.RawURLEncoding.EncodeToString([]byte("verifier-secret"))) {
		t.Errorf("the cookie shows the verifier: %s", v)
	}
	if got, err := s.open("portal_login_1", v, now.Add(time.Minute), loginTTL); err != nil || got != at {
		t.Fatalf("open: %+v %v", got, err)
	}
	if _, err := s.open("portal_login_2", v, now, loginTTL); err == nil {
		t.Error("a value moved to another attempt's cookie opened")
	}
	if _, err := s.open("portal_login_1", v, now.Add(loginTTL+time.Second), loginTTL); err == nil {
		t.Error("an attempt older than the limit opened")
	}
	raw := []byte(v)
	raw[len(raw)/2] ^= 1
	if _, err := s.open("portal_login_1", string(raw), now, loginTTL); err == nil {
		t.Error("a tampered value opened")
	}
	other, _ := newSealer()
	if _, err := other.open("portal_login_1", v, now, loginTTL); err == nil {
		t.Error("another key opened the value")
	}
	for _, bad := range []string{"", "!!", "AAAA"} {
		if _, err := s.open("portal_login_1", bad, now, loginTTL); err == nil {
			t.Errorf("%q opened", bad)
		}
	}
}

// TestCSRF_TokenOnlyFromBodyOrHeader sends the session's token in each
// place: the body and the header are read, the query string is not.
func TestCSRF_TokenOnlyFromBodyOrHeader(t *testing.T) {
	sess := &portal.Session{CSRFToken: "tok"}
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
