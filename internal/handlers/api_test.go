package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// apiUsage is the usage store without an AMIE planner.
type apiUsage struct{ *cache.DB }

func (apiUsage) PlanUsage(string, []usage.Record) ([]usage.Chunk, error) {
	return nil, portal.Errorf(portal.EUNAVAILABLE, "AMIE is not configured")
}

type noSync struct{}

func (noSync) NextRun(string) time.Time { return time.Time{} }
func (noSync) Running(string) bool      { return false }
func (noSync) Trigger(string) error     { return nil }

type noNotify struct{}

func (noNotify) Notify() {}

// apiServer serves the API alone (its middleware, error handler and
// routes, without the pages' sign-in) over a real, empty cache, and
// returns it with the secret of an admin's read-write token.
func apiServer(tb testing.TB, rate float64, burst int) (*echo.Echo, *cache.DB, string) {
	tb.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(tb.TempDir(), "portal.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{Projects: []portal.CatalogProject{{Key: "neuro-sim", Name: "Neural Circuit Simulation"}}}); err != nil {
		tb.Fatal(err)
	}
	admin := portal.User{Subject: "admin", Name: "Ada", Admin: true}
	if err := db.RememberUser(ctx, admin); err != nil {
		tb.Fatal(err)
	}
	secret, _, err := db.CreateAPIToken(ctx, portal.NewAPIToken{Subject: "admin", Name: "t", Scope: portal.ScopeReadWrite, CreatedBy: "admin",
		Expires: time.Now().Add(time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	h := &Handler{Deps: Deps{Logger: slog.New(slog.DiscardHandler), Store: db, Budgets: db, Metrics: db, Usage: apiUsage{db}, Billing: db, Costs: db,
		Tokens: db, Sync: noSync{}, Outbox: noNotify{}, Now: time.Now, APIRate: rate, APIBurst: burst,
		CostSettings: CostSettings{Base: "EUR", WarnPercent: decimal.NewFromInt(80), TolerancePercent: decimal.NewFromInt(5)},
		Sources: []Source{{Upstream: portal.UpstreamOBI, Configured: true}, {Upstream: portal.UpstreamArgo, Configured: true},
			{Upstream: portal.UpstreamAMIE, Configured: true}, {Upstream: portal.UpstreamVergeOS, Configured: true}}}}
	e := echo.New()
	e.HTTPErrorHandler = h.handleError
	e.Use(h.apiAuth())
	h.registerAPI(e)
	return e, db, secret
}

func apiGet(e *echo.Echo, secret, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	return w
}

// TestJSONField names every column of every table uniquely, in lower
// case with underscores, and keeps units.
func TestJSONField(t *testing.T) {
	for in, want := range map[string]string{
		"balance (credits)": "balance_credits", "burn_rate_30d (credits/day)": "burn_rate_30d_credits_per_day",
		"runs_out_30d_rate (date)": "runs_out_30d_rate_date", "cost_EUR": "cost_eur", "discount (fraction)": "discount_fraction",
		"used (%)": "used_percent", "  odd -- name  ": "odd_name",
	} {
		if got := JSONField(in); got != want {
			t.Errorf("JSONField(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tb := range apiTables {
		seen := map[string]bool{}
		for _, col := range append(slices.Clone(tb.Columns), tb.Optional...) {
			f := JSONField(strings.ReplaceAll(col, "{base}", "EUR"))
			if f == "" || seen[f] {
				t.Errorf("%s: column %q gives the field %q twice or empty", tb.Path, col, f)
			}
			seen[f] = true
		}
	}
}

// TestAPI_RateLimitPerToken refuses a token past its burst with 429, a
// Retry-After in whole seconds and the error as JSON, while another
// token is not held back.
func TestAPI_RateLimitPerToken(t *testing.T) {
	e, db, secret := apiServer(t, 0.5, 2)
	for i := range 2 {
		if w := apiGet(e, secret, "/api/v1/me"); w.Code != 200 {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := apiGet(e, secret, "/api/v1/me")
	var body APIError
	if w.Code != http.StatusTooManyRequests || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error.Code != codeRateLimited {
		t.Fatalf("third request: %d %s, want 429 rate_limited", w.Code, w.Body)
	}
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Fatalf("Retry-After %q, want 1 or 2 seconds at half a request a second", w.Header().Get("Retry-After"))
	}
	other, _, err := db.CreateAPIToken(context.Background(), portal.NewAPIToken{Subject: "admin", Name: "other", Scope: portal.ScopeRead,
		CreatedBy: "admin", Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if w := apiGet(e, other, "/api/v1/me"); w.Code != 200 {
		t.Fatalf("another token: %d, want 200 (limits are per token)", w.Code)
	}
}

// TestAPI_Paging walks a table page by page with the next links, refuses
// a cursor of another query and a bad limit, and streams everything with
// limit=all.
func TestAPI_Paging(t *testing.T) {
	e, db, secret := apiServer(t, 1000, 1000)
	ctx := context.Background()
	for i := range 7 {
		if _, _, err := db.CreateAPIToken(ctx, portal.NewAPIToken{Subject: "admin", Name: "t" + strconv.Itoa(i), Scope: portal.ScopeRead,
			CreatedBy: "admin", Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// The outbox is empty; the sources table lists sync runs: make some.
	for range 7 {
		id, err := db.StartSyncRun(ctx, portal.UpstreamOBI)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishSyncRun(ctx, id, 3, ""); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		Data []map[string]*string `json:"data"`
		Next *string              `json:"next"`
	}
	read := func(target string) page {
		t.Helper()
		w := apiGet(e, secret, target)
		var p page
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &p) != nil {
			t.Fatalf("%s: %d %s", target, w.Code, w.Body)
		}
		return p
	}
	all := read("/api/v1/sources?limit=all")
	if len(all.Data) != 7 || all.Next != nil {
		t.Fatalf("limit=all: %d rows, next %v; want 7 and none", len(all.Data), all.Next)
	}
	var walked []map[string]*string
	target, pages := "/api/v1/sources?limit=3", 0
	for {
		p := read(target)
		walked = append(walked, p.Data...)
		pages++
		if p.Next == nil {
			break
		}
		target = *p.Next
	}
	if pages != 3 || len(walked) != 7 {
		t.Fatalf("walked %d pages, %d rows; want 3 and 7", pages, len(walked))
	}
	for i := range walked {
		if *walked[i]["started_utc"] != *all.Data[i]["started_utc"] {
			t.Fatalf("row %d differs between the pages and the whole", i)
		}
	}
	first := read("/api/v1/sources?limit=3")
	foreign := strings.Replace(*first.Next, "/api/v1/sources?", "/api/v1/sources?upstream=x&", 1)
	for target, says := range map[string]string{
		foreign:                         "another query",
		"/api/v1/sources?cursor=%ff%00": "not a cursor",
		"/api/v1/sources?limit=0":       "limit",
		"/api/v1/sources?limit=100001":  "limit",
	} {
		w := apiGet(e, secret, target)
		var body APIError
		if w.Code != 400 || json.Unmarshal(w.Body.Bytes(), &body) != nil || !strings.Contains(body.Error.Message, says) {
			t.Errorf("%s: %d %s, want 400 saying %q", target, w.Code, w.Body, says)
		}
	}
}

// TestAPI_Tokens refuses a missing, malformed, unknown, expired or
// revoked token with 401 and the same words, and a read-only token's
// write with 403.
func TestAPI_Tokens(t *testing.T) {
	e, db, secret := apiServer(t, 1000, 1000)
	ctx := context.Background()
	mk := func(scope string, expires time.Time) (string, int64) {
		s, id, err := db.CreateAPIToken(ctx, portal.NewAPIToken{Subject: "admin", Name: "x", Scope: scope, CreatedBy: "admin", Expires: expires})
		if err != nil {
			t.Fatal(err)
		}
		return s, id
	}
	expired, _ := mk(portal.ScopeRead, time.Now().Add(-time.Second))
	revoked, id := mk(portal.ScopeRead, time.Now().Add(time.Hour))
	if err := db.RevokeAPIToken(ctx, id, "", "admin"); err != nil {
		t.Fatal(err)
	}
	readOnly, _ := mk(portal.ScopeRead, time.Now().Add(time.Hour))
	for name, s := range map[string]string{"none": "", "malformed": "pap_short", "unknown": portal.NewTokenSecret(), "expired": expired, "revoked": revoked} {
		w := apiGet(e, s, "/api/v1/me")
		if w.Code != 401 || !strings.Contains(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s token: %d %q, want 401 with WWW-Authenticate", name, w.Code, w.Header().Get("WWW-Authenticate"))
		}
		if name != "none" && !strings.Contains(w.Body.String(), "unknown, revoked or expired") {
			t.Errorf("%s token: %s", name, w.Body)
		}
	}
	req := httptest.NewRequest("POST", "/api/v1/requests/1/deny", strings.NewReader(`{"reason":"no"}`))
	req.Header.Set("Authorization", "Bearer "+readOnly)
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "may only read") {
		t.Fatalf("read-only write: %d %s", w.Code, w.Body)
	}
	if w := apiGet(e, secret, "/api/v1/me"); w.Code != 200 {
		t.Fatalf("good token: %d", w.Code)
	}
}

// FuzzAPIQuery sends every API table hostile query strings: an answer is
// a page of rows or an error of the document's shape, never a 5xx.
func FuzzAPIQuery(f *testing.F) {
	for _, s := range []string{"", "limit=all", "limit=0", "limit=-1", "limit=1e3", "cursor=%ff", "cursor=eyJvIjotMSwicSI6IiJ9",
		"sort=-", "sort=--id", "sort=id;DROP TABLE outbox", "range=1y&from=0001-01-01&to=9999-12-31", "from=2026-02-30&to=2026-01-01",
		"month=0000-00", "month=9999-12", "state=%00", "state=queued,,dead", "page=-1&size=0", "unsent=2", "granularity=hour",
		"project='%20OR%201=1--", "warn=1&lab=%3Cscript%3E", "type=compute&outcome=x", "limit=100000&cursor="} {
		for _, i := range []int{0, 7, 19, 30} {
			f.Add(uint8(i), s)
		}
	}
	e, _, secret := apiServer(f, 1e9, 1<<30)
	f.Fuzz(func(t *testing.T, route uint8, raw string) {
		tb := apiTables[int(route)%len(apiTables)]
		path := APIBase + echoParam.ReplaceAllString(tb.Path, "neuro-sim")
		req := httptest.NewRequest("GET", path, nil)
		req.URL.RawQuery = raw
		req.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		func() {
			defer func() {
				if r := recover(); r != nil && !errors.Is(asError(r), http.ErrAbortHandler) {
					t.Fatalf("%s?%s panicked: %v", path, raw, r)
				}
			}()
			e.ServeHTTP(w, req)
		}()
		if w.Code >= 500 {
			t.Fatalf("%s?%s: %d %s", path, raw, w.Code, w.Body)
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s?%s: %d, not JSON: %q", path, raw, w.Code, w.Body)
		}
		if w.Code == 200 {
			if _, ok := body["data"]; !ok {
				t.Fatalf("%s?%s: 200 without data: %s", path, raw, w.Body)
			}
			return
		}
		var e APIError
		if json.Unmarshal(w.Body.Bytes(), &e) != nil || !slices.Contains(apiErrorCodes, e.Error.Code) || e.Error.Message == "" {
			t.Fatalf("%s?%s: %d with an error of no known shape: %s", path, raw, w.Code, w.Body)
		}
	})
}

func asError(r any) error {
	err, _ := r.(error)
	return err
}
