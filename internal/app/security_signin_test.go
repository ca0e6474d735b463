package app_test

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/accounting-portal/portal/internal/app/apptest"
)

// signInRows counts the rows anonymous sign-in traffic could leave in the
// database: the rows of every table but those the portal fills as it
// starts (its migrations, the catalogue, the syncs' state). A sign-in in
// progress lives in a sealed cookie, and failed sign-ins in memory.
func signInRows(t *testing.T, p *apptest.Portal) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+p.App.Config.DBPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'
		AND name NOT IN ('schema_migrations', 'projects', 'virtual_labs', 'project_ids') AND name NOT LIKE '%sync_state'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only the tables %v", tables)
	}
	n := 0
	for _, table := range tables {
		var rows int
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows > 0 {
			t.Logf("%s: %d rows", table, rows)
		}
		n += rows
	}
	return n
}

// from sends a request as if a proxy forwarded it for client.
func from(client string) http.Header { return http.Header{"X-Forwarded-For": {client}} }

// startAttempt starts a sign-in as b (through a proxy for client, if
// given) and returns the attempt's state.
func startAttempt(t *testing.T, b *apptest.Browser, header http.Header) string {
	t.Helper()
	r := b.Do("GET", "/auth/login", nil, "", header)
	if r.Status != http.StatusFound {
		t.Fatalf("/auth/login: %d %s", r.Status, r.Body)
	}
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("sign-in went to %q", r.Header.Get("Location"))
	}
	return u.Query().Get("state")
}

// failAttempt comes back from the provider with a refusal for the attempt.
func failAttempt(t *testing.T, b *apptest.Browser, state string, header http.Header) {
	t.Helper()
	r := b.Do("GET", "/auth/callback?error=access_denied&state="+url.QueryEscape(state), nil, "", header)
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "refused the sign-in") {
		t.Fatalf("refused attempt: %d %s", r.Status, r.Body)
	}
}

// TestSecurity_AnonymousTrafficLocksNobodyOut: one anonymous client sends
// a hundred sign-in starts and forged callbacks (five times the failures
// that would lock an address out). Nothing is written to the database,
// and a person signing in from the same address (as everyone does behind
// a proxy the portal was not told about) signs in.
func TestSecurity_AnonymousTrafficLocksNobodyOut(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}})
	attacker := p.Anonymous(t)
	for i := 0; i < 60; i++ {
		if r := attacker.Get("/auth/login"); r.Status != http.StatusFound {
			t.Fatalf("sign-in start %d: %d", i, r.Status)
		}
	}
	for i := 0; i < 40; i++ {
		if r := attacker.Get("/auth/callback?state=forged&code=x"); r.Status != http.StatusUnauthorized {
			t.Fatalf("forged callback %d: %d", i, r.Status)
		}
	}
	if w := p.LoginWaits(); len(w) != 0 {
		t.Errorf("the anonymous requests were slowed down: %v", w)
	}
	if n := signInRows(t, p); n != 0 {
		t.Errorf("anonymous sign-in traffic left %d rows in the database", n)
	}
	if home := p.Login(t, "manager").Get("/"); home.Status != http.StatusOK {
		t.Fatalf("the manager's home page after the forged traffic: %d", home.Status)
	}
	if w := p.LoginWaits(); len(w) != 0 {
		t.Errorf("the legitimate sign-in was slowed down: %v", w)
	}
}

// TestSecurity_FailedSignInsAreSlowedThenRefusedPerClient counts failed
// sign-in attempts (started here, refused at the provider) per client
// address: after five the next start waits, after twenty the address is
// refused for 15 minutes. Behind a trusted proxy the address is the one
// the proxy forwarded (the rightmost that is not a proxy), so another
// person behind the same proxy is not affected, and a client cannot hide
// behind addresses it writes into X-Forwarded-For itself.
func TestSecurity_FailedSignInsAreSlowedThenRefusedPerClient(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}, Env: map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.0/8, ::1"}})
	a, hdr := p.Anonymous(t), from("198.51.100.7")
	// Twenty attempts started before any failed, so no start waits.
	var states []string
	for i := 0; i < 20; i++ {
		states = append(states, startAttempt(t, a, hdr))
	}
	for _, s := range states[:5] {
		failAttempt(t, a, s, hdr)
	}
	if w := p.LoginWaits(); len(w) != 0 {
		t.Fatalf("sign-ins were slowed before any failed: %v", w)
	}
	startAttempt(t, a, hdr)
	if w := p.LoginWaits(); len(w) != 1 || w[0] < time.Second {
		t.Fatalf("a sign-in after five failures waited %v, want a wait of at least 1 s", w)
	}
	// A failed attempt counts once: its state cookie is gone.
	if r := a.Do("GET", "/auth/callback?error=access_denied&state="+url.QueryEscape(states[0]), nil, "", hdr); r.Status != http.StatusUnauthorized ||
		!strings.Contains(r.Body, "not started here") {
		t.Fatalf("a second callback of a failed attempt: %d %s", r.Status, r.Body)
	}
	for _, s := range states[5:] {
		failAttempt(t, a, s, hdr)
	}
	for _, h := range []http.Header{hdr, from("203.0.113.9, 198.51.100.7")} {
		r := a.Do("GET", "/auth/login", nil, "", h)
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "wait 15 minutes") {
			t.Errorf("sign-in from %s after twenty failures: %d", h.Get("X-Forwarded-For"), r.Status)
		}
	}
	// Another person behind the same proxy signs in at once.
	b := p.Anonymous(t)
	waits := len(p.LoginWaits())
	r := b.Do("GET", "/auth/login?return_to=%2F", nil, "", from("198.51.100.8"))
	form := b.GetURL(r.Header.Get("Location"))
	cb := b.SubmitProviderForm(r.Header.Get("Location"), form.Body, "viewer")
	if r := b.Do("GET", strings.TrimPrefix(cb.Header.Get("Location"), p.URL), nil, "", from("198.51.100.8")); r.Status != http.StatusSeeOther {
		t.Fatalf("the other person's sign-in: %d %s", r.Status, r.Body)
	}
	if w := p.LoginWaits(); len(w) != waits {
		t.Errorf("the other person's sign-in was slowed down: %v", w[waits:])
	}
	if home := b.Get("/"); home.Status != http.StatusOK {
		t.Fatalf("the other person's home page: %d", home.Status)
	}
	// Pages other than sign-in are not affected.
	if r := a.Do("GET", "/healthz", nil, "", hdr); r.Status != http.StatusOK {
		t.Errorf("healthz: %d", r.Status)
	}
}

// TestSecurity_ForwardedForIgnoredFromUntrustedPeers: without
// PORTAL_TRUSTED_PROXIES, X-Forwarded-For is the client's own claim and
// changes nothing: failures from one peer count together whatever it
// claims to forward.
func TestSecurity_ForwardedForIgnoredFromUntrustedPeers(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}})
	a := p.Anonymous(t)
	for i := 0; i < 20; i++ {
		h := from("192.0.2." + string(rune('1'+i%9)))
		failAttempt(t, a, startAttempt(t, a, h), h)
	}
	if r := a.Do("GET", "/auth/login", nil, "", from("192.0.2.200")); r.Status != http.StatusTooManyRequests {
		t.Errorf("a twenty-first sign-in claiming another address: %d, want 429", r.Status)
	}
}
