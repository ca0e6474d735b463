package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/handlers"
	"github.com/accounting-portal/portal/internal/portal"
)

// TestAPI_WholeStack drives the JSON API of a portal synced from the four
// simulators, with tokens made on the tokens page and in the database.
func TestAPI_WholeStack(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Env: map[string]string{"PORTAL_METRICS_ADDR": "127.0.0.1:0"}})
	manager := p.Login(t, "manager")
	admin := p.Login(t, "admin")
	p.Login(t, "manager-b")
	p.Login(t, "viewer")
	before := validatedAPIAnswers.Load()

	t.Run("the manager's budgets are the rows of their budgets page", func(t *testing.T) {
		secret, _ := newToken(t, p, "manager", portal.ScopeRead)
		api := apiAs(t, p, secret).rows("/api/v1/budgets")
		page := manager.Get("/budgets")
		rowRE := regexp.MustCompile(`(?s)<tr data-project="([^"]+)">.*?data-col="balance">([^<]*)<`)
		var pageRows [][2]string
		for _, m := range rowRE.FindAllStringSubmatch(page.Body, -1) {
			pageRows = append(pageRows, [2]string{m[1], m[2]})
		}
		if len(pageRows) != 2 || len(api.Data) != len(pageRows) {
			t.Fatalf("page rows %v, API rows %d; want the manager's two projects in both", pageRows, len(api.Data))
		}
		for i, r := range pageRows {
			if got := api.Data[i]; *got["project_key"] != r[0] || orDash(got["balance_credits"]) != r[1] {
				t.Errorf("row %d: page %v, API %s %s", i, r, *got["project_key"], orDash(got["balance_credits"]))
			}
		}
		sameAsCSV(t, "/budgets", api, apptest.CSVRecords(t, manager.Get("/budgets.csv")))
	})

	var installation, definition string
	t.Run("every table's JSON is its CSV twin", func(t *testing.T) {
		mgr, _ := newToken(t, p, "manager", portal.ScopeRead)
		adm, _ := newToken(t, p, "admin", portal.ScopeRead)
		insts := apiAs(t, p, mgr).rows("/api/v1/metrics/installations?project=NEURO-SIM")
		defs := apiAs(t, p, mgr).rows("/api/v1/metrics/definitions")
		recs := apiAs(t, p, mgr).rows("/api/v1/billing/records?limit=1")
		if len(insts.Data) == 0 || len(defs.Data) == 0 || len(recs.Data) == 0 {
			t.Fatalf("no installation, definition or billing record to ask for")
		}
		installation, definition = *insts.Data[0]["argo_installation_id"], *defs.Data[0]["metric_definition_id"]
		params := map[string]string{":key": "neuro-sim", ":month": time.Now().UTC().Format("2006-01"), ":id": installation}
		compared := 0
		for _, tw := range handlers.APITwins() {
			b, token := manager, mgr
			if tw.Access == handlers.Admin {
				b, token = admin, adm
			}
			fill := func(route string) string {
				for k, v := range params {
					route = strings.ReplaceAll(route, k, v)
				}
				if strings.HasPrefix(tw.API, "/api/v1/billing/records/") {
					route = strings.ReplaceAll(route, "neuro-sim", *recs.Data[0]["key"])
				}
				return route
			}
			if strings.Contains(tw.API, "/:id/") && !strings.Contains(tw.API, "/installations/") {
				continue // outbox items, requests, uploads and generate requests: TestAPI_Writes reads theirs
			}
			apiQuery, csvQuery := "?limit=all", ""
			if tw.API == "/api/v1/billing/summary" {
				// The summary names its period, which a relative range ends
				// at the second of the request: ask both for the same dates.
				dates := "from=" + time.Now().UTC().AddDate(0, 0, -30).Format("2006-01-02") + "&to=" + time.Now().UTC().Format("2006-01-02")
				apiQuery, csvQuery = apiQuery+"&"+dates, "?"+dates
			}
			api := apiAs(t, p, token).rows(fill(tw.API) + apiQuery)
			sameAsCSV(t, tw.API, api, apptest.CSVRecords(t, b.Get(fill(tw.CSV)+csvQuery)))
			compared++
		}
		t.Logf("%d tables compared with their CSV twins", compared)
	})

	t.Run("a long table is walked page by page", func(t *testing.T) {
		secret, _ := newToken(t, p, "manager", portal.ScopeRead)
		c := apiAs(t, p, secret)
		all := c.rows("/api/v1/metrics?range=1y&limit=all")
		var walked []map[string]*string
		// Pages of ten: the simulated ARGO keeps sixty days of history.
		next, pages := "/api/v1/metrics?range=1y&limit=10", 0
		for next != "" {
			pg := c.rows(next)
			walked, next = append(walked, pg.Data...), ""
			if pg.Next != nil {
				next = *pg.Next
			}
			pages++
		}
		if len(all.Data) < 30 || len(walked) != len(all.Data) || pages != (len(all.Data)+9)/10 {
			t.Fatalf("%d rows in %d pages, %d at once", len(walked), pages, len(all.Data))
		}
		for i := range walked {
			if *walked[i]["period"] != *all.Data[i]["period"] || *walked[i]["total"] != *all.Data[i]["total"] {
				t.Fatalf("row %d differs", i)
			}
		}
	})

	t.Run("tokens from the page: shown once, read-only refused a write, revoked refused", func(t *testing.T) {
		expires := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
		tooLate := time.Now().UTC().AddDate(1, 0, 2).Format("2006-01-02")
		if r := manager.Post("/account/tokens", url.Values{"name": {"script"}, "scope": {"read"}, "expires": {tooLate}}); r.Status != 422 ||
			!strings.Contains(r.Body, "at most a year") {
			t.Fatalf("a token for more than a year: %d", r.Status)
		}
		r := manager.Post("/account/tokens", url.Values{"name": {"report script"}, "scope": {"read"}, "expires": {expires}})
		secret := regexp.MustCompile(`pap_[A-Za-z0-9_-]{43}`).FindString(r.Body)
		if r.Status != 200 || secret == "" {
			t.Fatalf("making a token: %d, no secret shown", r.Status)
		}
		if again := manager.Get("/account/tokens"); strings.Contains(again.Body, secret) || !strings.Contains(again.Body, "report script") {
			t.Fatalf("the list shows the secret again, or not the token")
		}
		c := apiAs(t, p, secret)
		if me := c.get("/api/v1/me"); me.Status != 200 || !strings.Contains(me.Body, `"token_scope":"read"`) {
			t.Fatalf("/me: %d %s", me.Status, me.Body)
		}
		w := c.post("/api/v1/requests", map[string]string{"kind": "topup"})
		if w.Status != 403 || !strings.Contains(apiError(t, w).Message, "may only read") {
			t.Fatalf("a read-only token's write: %d %s", w.Status, w.Body)
		}
		toks, err := p.App.DB.APITokens(context.Background(), "demo-manager", false)
		if err != nil {
			t.Fatal(err)
		}
		id := toks[0].ID
		if r := manager.Post("/account/tokens/"+strconv.FormatInt(id, 10)+"/revoke", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("revoking: %d", r.Status)
		}
		if r := manager.Get("/account/tokens"); !strings.Contains(r.Body, "Token revoked") || !strings.Contains(r.Body, ">revoked ") {
			t.Fatalf("the list does not show the token revoked")
		}
		if r := c.get("/api/v1/me"); r.Status != 401 {
			t.Fatalf("a revoked token: %d, want 401", r.Status)
		}
		// Another person's token is not found; an admin sees and revokes any.
		other, otherID := newToken(t, p, "manager-b", portal.ScopeRead)
		if r := manager.Post("/account/tokens/"+strconv.FormatInt(otherID, 10)+"/revoke", url.Values{}); r.Status != 404 {
			t.Fatalf("revoking another's token: %d, want 404", r.Status)
		}
		if r := admin.Get("/account/tokens"); !strings.Contains(r.Body, "Bo Manager") || !strings.Contains(r.Body, "report script") {
			t.Fatalf("the admin's list lacks other people's tokens")
		}
		// The table's CSV twin: the manager's own tokens, the revoked one
		// said so, never a secret; an admin's holds everyone's.
		mine := apptest.CSVRecords(t, manager.Get("/account/tokens.csv"))
		for _, row := range mine {
			if row["owner_subject"] != "demo-manager" {
				t.Errorf("the manager's tokens CSV lists %q's token", row["owner_subject"])
			}
		}
		if !slices.ContainsFunc(mine, func(r map[string]string) bool {
			return r["token_id"] == strconv.FormatInt(id, 10) && r["state"] == "revoked" && r["revoked_utc"] != ""
		}) {
			t.Errorf("the manager's tokens CSV does not show the revoked token: %v", mine)
		}
		if body := manager.Get("/account/tokens.csv").Body; strings.Contains(body, secret) || strings.Contains(body, other) {
			t.Error("the tokens CSV holds a secret")
		}
		if !slices.ContainsFunc(apptest.CSVRecords(t, admin.Get("/account/tokens.csv")), func(r map[string]string) bool {
			return r["token_id"] == strconv.FormatInt(otherID, 10) && r["owner"] == "Bo Manager"
		}) {
			t.Error("the admin's tokens CSV lacks other people's tokens")
		}
		if r := admin.Post("/account/tokens/"+strconv.FormatInt(otherID, 10)+"/revoke", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("an admin revoking: %d", r.Status)
		}
		if r := apiAs(t, p, other).get("/api/v1/me"); r.Status != 401 {
			t.Fatalf("a token an admin revoked: %d", r.Status)
		}
	})

	t.Run("an expired token is refused", func(t *testing.T) {
		secret, _, err := p.App.DB.CreateAPIToken(context.Background(), portal.NewAPIToken{Subject: "demo-manager", Name: "old",
			Scope: portal.ScopeRead, CreatedBy: "test", Expires: time.Now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if r := apiAs(t, p, secret).get("/api/v1/budgets"); r.Status != 401 {
			t.Fatalf("expired: %d", r.Status)
		}
	})

	t.Run("cookies never open the API, and a token never opens a page", func(t *testing.T) {
		c := &apiClient{t: t, base: p.URL, cookies: manager}
		if r := c.get("/api/v1/budgets"); r.Status != 401 {
			t.Fatalf("GET with the session cookie: %d, want 401", r.Status)
		}
		r := c.do("POST", "/api/v1/requests", strings.NewReader(`{"kind":"topup"}`), "application/json", http.Header{"X-Csrf-Token": {manager.CSRF()}})
		if r.Status != 401 {
			t.Fatalf("POST with the session cookie and CSRF token: %d, want 401", r.Status)
		}
		secret, _ := newToken(t, p, "manager", portal.ScopeReadWrite)
		page := p.Anonymous(t).Do("GET", "/budgets", nil, "", http.Header{"Authorization": {"Bearer " + secret}})
		if page.Status != http.StatusFound || !strings.HasPrefix(page.Header.Get("Location"), "/auth/login") {
			t.Fatalf("a page with a token: %d %s, want the sign-in", page.Status, page.Header.Get("Location"))
		}
	})

	t.Run("a token of a person whose roles shrank gets the smaller set", func(t *testing.T) {
		secret, _ := newToken(t, p, "manager", portal.ScopeReadWrite)
		c := apiAs(t, p, secret)
		ctx := context.Background()
		shrunk := portal.User{Subject: "demo-manager", Name: "Max Manager", Manages: []string{"neuro-sim"}, Member: []string{"neuro-sim"}}
		if err := p.App.DB.RememberUser(ctx, shrunk); err != nil {
			t.Fatal(err)
		}
		if keys := projectKeys(c.rows("/api/v1/budgets")); !slices.Equal(keys, []string{"neuro-sim"}) {
			t.Fatalf("budgets after the roles shrank: %v", keys)
		}
		if r := c.get("/api/v1/budgets/projects/brain-atlas/jobs"); r.Status != 404 {
			t.Fatalf("a project no longer managed: %d, want 404", r.Status)
		}
		if err := p.App.DB.RememberUser(ctx, portal.User{Subject: "demo-manager", Name: "Max Manager"}); err != nil {
			t.Fatal(err)
		}
		if r := c.post("/api/v1/requests", nil); r.Status != 403 {
			t.Fatalf("a manager's request with no roles left: %d, want 403", r.Status)
		}
		// Signing in again records the provider's roles: both projects are back.
		p.Login(t, "manager")
		if keys := projectKeys(c.rows("/api/v1/budgets")); len(keys) != 2 {
			t.Fatalf("budgets after signing in again: %v", keys)
		}
	})

	t.Run("writes go through the forms' code and the outbox", func(t *testing.T) { apiWrites(t, p, installation, definition) })

	t.Run("the document is public and names every API route", func(t *testing.T) {
		r := p.Anonymous(t).Get("/api/v1/openapi.json")
		var doc map[string]any
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &doc) != nil || doc["openapi"] != "3.1.0" {
			t.Fatalf("openapi.json: %d", r.Status)
		}
		paths := doc["paths"].(map[string]any)
		registered := map[string]bool{}
		for _, rt := range p.App.Handler.Routes() {
			if !strings.HasPrefix(rt.Path, handlers.APIBase) {
				continue
			}
			key := strings.ToLower(rt.Method) + " " + handlers.APIPath(rt.Path)
			registered[key] = true
			ops, _ := paths[handlers.APIPath(rt.Path)].(map[string]any)
			if ops[strings.ToLower(rt.Method)] == nil {
				t.Errorf("route %s %s is not in the OpenAPI document", rt.Method, rt.Path)
			}
		}
		for path, ops := range paths {
			for m := range ops.(map[string]any) {
				if !registered[m+" "+path] {
					t.Errorf("the document describes %s %s, which is not a route", strings.ToUpper(m), path)
				}
			}
		}
	})
	t.Run("the operators' metrics parse as Prometheus text", func(t *testing.T) {
		resp, err := http.Get("http://" + p.App.MetricsAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("/metrics: %d, %v", resp.StatusCode, err)
		}
		series := map[string]bool{}
		for name, f := range fams {
			for _, m := range f.Metric {
				key := name
				for _, l := range m.Label {
					key += " " + l.GetName() + "=" + l.GetValue()
				}
				series[key] = true
			}
		}
		for _, want := range []string{"portal_sync_runs_total upstream=obi", "portal_sync_last_success_age_seconds upstream=vergeos",
			"portal_outbox_items kind=obi.budget state=delivered", "portal_outbox_oldest_open_age_seconds kind=argo.metric",
			"portal_http_request_duration_seconds method=GET route=/api/v1/budgets status=200", "portal_database_size_bytes",
			"portal_signin_failures_total"} {
			if !series[want] {
				t.Errorf("no series %q", want)
			}
		}
		if age := fams["portal_sync_last_success_age_seconds"].Metric[0].Gauge.GetValue(); age > 3600 {
			t.Errorf("a synced upstream's age is %v s", age)
		}
		// /metrics on the portal's own address is still the ARGO page.
		if r := p.Anonymous(t).Get("/metrics"); r.Status != http.StatusFound {
			t.Errorf("/metrics on the main address: %d, want the sign-in", r.Status)
		}
	})
	t.Logf("%d API answers validated against the OpenAPI document", validatedAPIAnswers.Load()-before)
}

// apiWrites makes, approves and denies budget requests, pushes a metric
// and uploads records through the API, as the forms would.
func apiWrites(t *testing.T, p *apptest.Portal, installation, definition string) {
	mgr, _ := newToken(t, p, "manager", portal.ScopeReadWrite)
	adm, _ := newToken(t, p, "admin", portal.ScopeReadWrite)
	mgrB, _ := newToken(t, p, "manager-b", portal.ScopeReadWrite)
	m, a := apiAs(t, p, mgr), apiAs(t, p, adm)
	bad := m.post("/api/v1/requests", map[string]any{"kind": "assign", "project": "neuro-sim", "amount": "1.234", "justification": ""})
	var inv struct {
		Error struct{ Fields map[string]string } `json:"error"`
	}
	if bad.Status != 422 || json.Unmarshal([]byte(bad.Body), &inv) != nil || inv.Error.Fields["amount"] == "" || inv.Error.Fields["justification"] == "" {
		t.Fatalf("a wrong request: %d %s", bad.Status, bad.Body)
	}
	if r := m.post("/api/v1/requests", map[string]any{"kind": "topup", "colour": "red"}); r.Status != 400 || !strings.Contains(r.Body, "colour") {
		t.Fatalf("an unknown field: %d %s", r.Status, r.Body)
	}
	made := func(c *apiClient, body map[string]any) handlers.APIWritten {
		t.Helper()
		r := c.post("/api/v1/requests", body)
		var w handlers.APIWritten
		if r.Status != 201 || json.Unmarshal([]byte(r.Body), &w) != nil || w.State != "pending" {
			t.Fatalf("making %v: %d %s", body, r.Status, r.Body)
		}
		return w
	}
	topup := map[string]any{"kind": "assign", "project": "neuro-sim", "amount": 25, "justification": "from a script", "acknowledge": true}
	first := made(m, topup)
	// The same again within a day is a likely duplicate: refused until confirmed.
	if r := m.post("/api/v1/requests", topup); r.Status != 422 || !strings.Contains(r.Body, "confirm_duplicate") {
		t.Fatalf("a likely duplicate, not confirmed: %d %s", r.Status, r.Body)
	}
	again := maps.Clone(topup)
	again["confirm_duplicate"] = true
	second := made(m, again)
	if r := m.post("/api/v1/requests/"+strconv.FormatInt(first.ID, 10)+"/approve", nil); r.Status != 403 {
		t.Fatalf("a manager approving: %d", r.Status)
	}
	r := a.post("/api/v1/requests/"+strconv.FormatInt(first.ID, 10)+"/approve", map[string]any{})
	if r.Status != 200 || !strings.Contains(r.Body, `"state":"approved"`) {
		t.Fatalf("approving: %d %s", r.Status, r.Body)
	}
	if r := a.post("/api/v1/requests/"+strconv.FormatInt(first.ID, 10)+"/approve", nil); r.Status != 409 {
		t.Fatalf("approving twice: %d %s", r.Status, r.Body)
	}
	deny := "/api/v1/requests/" + strconv.FormatInt(second.ID, 10) + "/deny"
	if r := a.post(deny, map[string]string{"reason": " "}); r.Status != 422 || !strings.Contains(r.Body, `"reason"`) {
		t.Fatalf("denying without a reason: %d %s", r.Status, r.Body)
	}
	if r := a.post(deny, map[string]string{"reason": "not this quarter"}); r.Status != 200 || !strings.Contains(r.Body, `"state":"denied"`) {
		t.Fatalf("denying: %d %s", r.Status, r.Body)
	}
	// Four eyes: an admin's own request is approved by another admin only.
	ownTopup := maps.Clone(topup)
	ownTopup["amount"] = "26"
	own := made(a, ownTopup)
	if r := a.post("/api/v1/requests/"+strconv.FormatInt(own.ID, 10)+"/approve", nil); r.Status != 403 {
		t.Fatalf("an admin approving their own request: %d %s", r.Status, r.Body)
	}
	// The approval was delivered through the outbox, as the form's is.
	p.DeliverOutbox(t)
	applied := false
	for _, row := range m.rows("/api/v1/requests?state=applied").Data {
		applied = applied || *row["id"] == strconv.FormatInt(first.ID, 10)
	}
	if !applied {
		t.Fatalf("the approved request %d is not applied after the outbox delivered it", first.ID)
	}
	if rd := m.rows("/api/v1/requests/" + strconv.FormatInt(first.ID, 10) + "/readings"); len(rd.Data) == 0 {
		t.Fatalf("no readings of the applied request")
	}
	if r := apiAs(t, p, mgrB).get("/api/v1/requests/" + strconv.FormatInt(first.ID, 10) + "/readings"); r.Status != 404 {
		t.Fatalf("another manager's request: %d, want 404", r.Status)
	}

	push := map[string]string{"definition": definition, "value": "12", "start": "2001-02-03T00:00", "end": "2001-02-04T00:00"}
	pushes := "/api/v1/metrics/installations/" + url.PathEscape(installation) + "/pushes"
	if r := apiAs(t, p, mgrB).post(pushes, push); r.Status != 404 {
		t.Fatalf("pushing to another project's installation: %d, want 404", r.Status)
	}
	if r := m.post(pushes, map[string]string{"definition": definition, "value": "-1", "start": "x", "end": "2001-02-04T00:00"}); r.Status != 422 {
		t.Fatalf("a wrong push: %d %s", r.Status, r.Body)
	}
	// A period this old is pushed only when the body confirms it.
	if r := m.post(pushes, push); r.Status != 422 || !strings.Contains(r.Body, `"confirm_old":"The period starts more than 365 days ago.`) {
		t.Fatalf("pushing an old period unconfirmed: %d %s", r.Status, r.Body)
	}
	confirmed := map[string]any{"confirm_old": true}
	for k, v := range push {
		confirmed[k] = v
	}
	if r := m.post(pushes, confirmed); r.Status != 201 {
		t.Fatalf("pushing: %d %s", r.Status, r.Body)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("type", "compute")
	fw, _ := mw.CreateFormFile("file", "records.csv")
	io.WriteString(fw, "Username,LocalProjectID\nnobody,nowhere\n")
	mw.Close()
	up := m.do("POST", "/api/v1/usage/uploads", &body, mw.FormDataContentType(), nil)
	var refused handlers.APIUploadRefused
	if up.Status != 422 || json.Unmarshal([]byte(up.Body), &refused) != nil || len(refused.Error.Problems) == 0 {
		t.Fatalf("a wrong file: %d %s", up.Status, up.Body)
	}
	if rows := m.rows("/api/v1/usage/uploads").Data; len(rows) != 0 {
		t.Fatalf("a refused file left %d uploads behind", len(rows))
	}
	attempts := a.rows("/api/v1/outbox?state=delivered")
	if len(attempts.Data) == 0 {
		t.Fatalf("no delivered outbox item")
	}
	if r := a.get("/api/v1/outbox/" + *attempts.Data[0]["id"] + "/attempts"); r.Status != 200 {
		t.Fatalf("an outbox item's attempts: %d", r.Status)
	}
}

func projectKeys(p apiPage) []string {
	var out []string
	for _, r := range p.Data {
		out = append(out, *r["project_key"])
	}
	return out
}

func orDash(s *string) string {
	if s == nil {
		return "—"
	}
	return *s
}

// sameAsCSV fails unless the JSON rows are the CSV's rows: the same
// number, each cell equal (an empty CSV cell is null).
func sameAsCSV(t *testing.T, what string, api apiPage, csv []map[string]string) {
	t.Helper()
	if len(api.Data) != len(csv) {
		t.Errorf("%s: %d JSON rows, %d CSV rows", what, len(api.Data), len(csv))
		return
	}
	for i, rec := range csv {
		for h, v := range rec {
			// The CSV neutralises cells a spreadsheet would run; JSON needs not.
			got := api.Data[i][handlers.JSONField(h)]
			if want := v; (got == nil && want != "") || (got != nil && *got != want && "'"+*got != want) {
				t.Errorf("%s row %d column %s: JSON %v, CSV %q", what, i, h, fmtPtr(got), want)
				return
			}
		}
	}
}

func fmtPtr(s *string) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *s)
}
