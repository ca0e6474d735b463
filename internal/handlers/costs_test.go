package handlers

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// costsHandler is a Handler over a real cache with two projects and no
// upstream data.
func costsHandler(t *testing.T) (*Handler, *cache.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{Projects: []portal.CatalogProject{
		{Key: "neuro-sim", Name: "Neural Circuit Simulation", VergeOSTenant: "neuro-vdc"}, {Key: "climate-ml", Name: "Climate Model Learning"}}}); err != nil {
		t.Fatal(err)
	}
	return &Handler{Deps: Deps{Logger: slog.New(slog.DiscardHandler), Store: db, Costs: db, Now: func() time.Time { return now },
		CostSettings: CostSettings{Base: "EUR", WarnPercent: decimal.NewFromInt(80), TolerancePercent: decimal.NewFromInt(5)}}}, db
}

var (
	costAdmin   = &portal.User{Subject: "a", Name: "Ada", Admin: true}
	costManager = &portal.User{Subject: "m", Manages: []string{"neuro-sim"}, Member: []string{"neuro-sim"}}
)

// serveAs runs fn on a request as u (a form when form is set) and returns
// the answer; an error comes back as the handler returned it.
func serveAs(t *testing.T, u *portal.User, method, target string, body io.Reader, contentType string, params map[string]string,
	fn echo.HandlerFunc) (*httptest.ResponseRecorder, error) {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req = req.WithContext(portal.NewContextWithUser(req.Context(), u))
	w := httptest.NewRecorder()
	c := echo.New().NewContext(req, w)
	for k, v := range params {
		c.SetParamNames(append(c.ParamNames(), k)...)
		c.SetParamValues(append(c.ParamValues(), v)...)
	}
	return w, fn(c)
}

func postForm(t *testing.T, u *portal.User, target string, form url.Values, fn echo.HandlerFunc) *httptest.ResponseRecorder {
	t.Helper()
	w, err := serveAs(t, u, http.MethodPost, target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", nil, fn)
	if err != nil {
		t.Fatalf("%s %v: %v", target, form, err)
	}
	return w
}

func TestAddRate_RefusedWithEveryProblemThenAdded(t *testing.T) {
	h, db := costsHandler(t)
	ctx := context.Background()
	w := postForm(t, costAdmin, "/costs/rates", url.Values{"source": {"vergeos"}, "measure": {"cores"}, "scope": {""}, "price": {"-1"},
		"currency": {"eu"}, "valid_from": {"2026-02-30"}}, h.handleAddRate)
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "The rate version was refused; nothing was stored. 5 problem(s)") {
		t.Fatalf("%d %s", w.Code, body)
	}
	for _, want := range []string{`rate.measure: "cores" is not a measure of vergeos`, "rate.scope is empty", "rate.price: -1 is negative",
		`rate.currency: "EU" is not a three-letter currency code`, `rate.valid_from: "2026-02-30" is not a date`, `value="-1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	// A rate in CHF needs a CHF exchange rate first.
	good := url.Values{"source": {"vergeos"}, "measure": {"cpu_core_hours"}, "scope": {"*"}, "price": {"0.012"}, "currency": {"chf"}, "valid_from": {"2026-03-01"}}
	if w := postForm(t, costAdmin, "/costs/rates", good, h.handleAddRate); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "CHF has no exchange rate valid on 2026-03-01") {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	if w := postForm(t, costAdmin, "/costs/fx", url.Values{"currency": {"CHF"}, "per_base": {"0"}, "valid_from": {"2026-03-01"}}, h.handleAddFX); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "must be more than 0") {
		t.Fatalf("%d", w.Code)
	}
	if w := postForm(t, costAdmin, "/costs/fx", url.Values{"currency": {"chf"}, "per_base": {"0.94"}, "valid_from": {"2026-03-01"}}, h.handleAddFX); w.Code != http.StatusSeeOther {
		t.Fatalf("FX: %d %s", w.Code, w.Body.String())
	}
	if w := postForm(t, costAdmin, "/costs/rates", good, h.handleAddRate); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/costs/rates" {
		t.Fatalf("rate: %d %s", w.Code, w.Body.String())
	}
	tb, err := db.RateTable(ctx, "EUR")
	if err != nil || len(tb.Rates) != 1 || tb.Rates[0].Currency != "CHF" || tb.Rates[0].CreatedByName != "Ada" || len(tb.FX) != 1 {
		t.Fatalf("%+v %v", tb, err)
	}
	// The page lists it with its unit in full; its CSV too.
	w, err = serveAs(t, costAdmin, http.MethodGet, "/costs/rates", nil, "", nil, h.handleRates)
	if err != nil || !strings.Contains(w.Body.String(), "CHF per core-hour") || !strings.Contains(w.Body.String(), "1 EUR = 0.94 CHF") {
		t.Fatalf("%v %s", err, w.Body.String())
	}
	w, err = serveAs(t, costAdmin, http.MethodGet, "/costs/rates.csv", nil, "", nil, h.handleRates)
	if err != nil || !strings.Contains(w.Body.String(), "rate,1,vergeos,cpu_core_hours,*,0.012,CHF per core-hour,CHF") ||
		!strings.Contains(w.Body.String(), "fx_currency_per_EUR") {
		t.Fatalf("%v %s", err, w.Body.String())
	}
}

func TestCardImport_JSONBodyAndExport(t *testing.T) {
	h, _ := costsHandler(t)
	post := func(body string) *httptest.ResponseRecorder {
		w, err := serveAs(t, costAdmin, http.MethodPost, "/costs/rates.json", strings.NewReader(body), "application/json", nil, h.handleCardImport)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := post(`{"base_currency": "EUR", "rates": [{"source": "obi", "measure": "credits", "scope": "*", "price": "x", "currency": "EUR", "valid_from": "2026-01-01"},
		{"source": "amie", "measure": "su", "scope": "*", "price": "0.01", "currency": "USD", "valid_from": "2026-01-01"}], "fx": []}`)
	var bad struct{ Problems []string }
	if json.Unmarshal(w.Body.Bytes(), &bad); w.Code != http.StatusUnprocessableEntity || len(bad.Problems) != 2 {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	card := `{"base_currency": "EUR", "rates": [{"source": "amie", "measure": "su", "scope": "*", "price": "0.01", "currency": "USD", "valid_from": "2026-01-01"}],
		"fx": [{"currency": "USD", "per_base": "1.08", "valid_from": "2026-01-01"}]}`
	if w := post(card); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"rates_added":1`) {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	if w := post(card); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"skipped":2`) {
		t.Fatalf("again: %d %s", w.Code, w.Body.String())
	}
	w, err := serveAs(t, costAdmin, http.MethodGet, "/costs/rates.json", nil, "", nil, h.handleCardExport)
	if err != nil || w.Code != 200 || !strings.Contains(w.Body.String(), `"price": "0.01"`) || !strings.Contains(w.Body.String(), `"per_base": "1.08"`) {
		t.Fatalf("export: %v %s", err, w.Body.String())
	}
	// A form post without a file says what is missing.
	_, err = serveAs(t, costAdmin, http.MethodPost, "/costs/rates.json", strings.NewReader("x=1"), "application/x-www-form-urlencoded", nil, h.handleCardImport)
	if pe, ok := err.(*portal.Error); !ok || pe.Code != portal.EINVALID {
		t.Fatalf("%v", err)
	}
}

func TestSetBudget_FormAndScope(t *testing.T) {
	h, db := costsHandler(t)
	ctx := context.Background()
	w := postForm(t, costAdmin, "/costs/budgets", url.Values{"project": {"nosuch"}, "kind": {"quarter"}, "period": {"2026-Q5"}, "amount": {"12,000"}}, h.handleSetBudget)
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose a project of the catalogue.") ||
		!strings.Contains(body, `"2026-Q5" is not a quarter (YYYY-Qn)`) || !strings.Contains(body, "Write the amount in EUR as a plain number") {
		t.Fatalf("%d %s", w.Code, body)
	}
	w = postForm(t, costAdmin, "/costs/budgets", url.Values{"project": {"neuro-sim"}, "kind": {"month"}, "period": {"2026-03"}, "amount": {"3500.50"},
		"back": {"project"}}, h.handleSetBudget)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/projects/neuro-sim?month=2026-03#budgets" {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Location"))
	}
	bs, err := db.Budgets(ctx, portal.Scope{All: true}, "")
	if err != nil || len(bs) != 1 || bs[0].Amount.String() != "3500.50" || bs[0].SetBy != "a" {
		t.Fatalf("%+v %v", bs, err)
	}
	// The manager sees it on the overview and its CSV; another project's manager does not.
	w, err = serveAs(t, costManager, http.MethodGet, "/costs/budgets.csv", nil, "", nil, h.handleBudgetsCSV)
	if err != nil || !strings.Contains(w.Body.String(), "neuro-sim,Neural Circuit Simulation,month,2026-03,2026-03-01,2026-03-31,3500.50,0.00") {
		t.Fatalf("%v %s", err, w.Body.String())
	}
	other := &portal.User{Subject: "b", Manages: []string{"climate-ml"}, Member: []string{"climate-ml"}}
	w, err = serveAs(t, other, http.MethodGet, "/costs/budgets.csv", nil, "", nil, h.handleBudgetsCSV)
	if err != nil || strings.Contains(w.Body.String(), "neuro-sim") {
		t.Fatalf("another project's manager: %v %s", err, w.Body.String())
	}
	_, err = serveAs(t, other, http.MethodGet, "/projects/neuro-sim", nil, "", map[string]string{"key": "neuro-sim"}, h.handleProject)
	if pe, ok := err.(*portal.Error); !ok || pe.Code != portal.ENOTFOUND {
		t.Fatalf("another project's page: %v", err)
	}
}

func TestStatementParam(t *testing.T) {
	for in, want := range map[string]string{"2026-03": "2026-03|", "2026-03.csv": "2026-03|.csv", "2026-03.json": "2026-03|.json"} {
		m, ext, err := statementParam(in)
		if err != nil || m.Format("2006-01")+"|"+ext != want {
			t.Errorf("%s: %v %s %v", in, m, ext, err)
		}
	}
	for _, in := range []string{"2026-3", "2026-03.xml", "march", "2026-03.csv.csv", ""} {
		if _, _, err := statementParam(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// FuzzCostsParams feeds the costs pages' query and form values to their
// parsers: none may panic, and what they accept must be well formed.
func FuzzCostsParams(f *testing.F) {
	for _, s := range []string{"2026-03", "2026-03.csv", "2026-Q1", "2026", "0.012", "-0", "1e5", "２０２６-０３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, ext, err := statementParam(s); err == nil && (m.Day() != 1 || (ext != "" && ext != ".csv" && ext != ".json")) {
			t.Fatalf("%q: %v %q", s, m, ext)
		}
		if _, err := parseMonthParam(s, time.Now()); err == nil && s != "" {
			if _, err := costs.ParseMonth(s); err != nil {
				t.Fatalf("%q", s)
			}
		}
		for _, k := range costs.PeriodKinds {
			if p, err := costs.ParsePeriod(k, s); err == nil && (p.Days() < 28 || p.Start.Day() != 1) {
				t.Fatalf("%s %q: %+v", k, s, p)
			}
		}
		var p costs.Problems
		if n, ok := costs.CheckRate(&p, "rate", "vergeos", costs.MeasureCoreHours, "*", s, "EUR", "2026-01-01", costs.CardContext{Base: "EUR"}); ok && n.Price.Sign() < 0 {
			t.Fatalf("negative price %q accepted", s)
		}
	})
}
