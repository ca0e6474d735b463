package handlers

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// pagesNow is the clock of the page tests.
var pagesNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// pagesHandler is a Handler over a real cache file with one lab and one
// project (neuro-sim), every area's store being the cache.
func pagesHandler(t *testing.T) (*Handler, *cache.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return pagesNow }
	const lab, proj = "0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10", "5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71"
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{VirtualLabs: []portal.VirtualLab{{ID: lab, Name: "Cortex Lab"}},
		Projects: []portal.CatalogProject{{Key: "neuro-sim", Name: "Neural Circuit Simulation", OBIID: proj, OBIVlabID: lab}}}); err != nil {
		t.Fatal(err)
	}
	var sources []Source
	for _, u := range []string{portal.UpstreamArgo, portal.UpstreamOBI, portal.UpstreamAMIE, portal.UpstreamVergeOS} {
		sources = append(sources, Source{Upstream: u, Configured: true})
	}
	return &Handler{Deps: Deps{Logger: slog.New(slog.DiscardHandler), Store: db, Budgets: db, Metrics: db, Usage: usageOnly{db}, Billing: db,
		Now: func() time.Time { return pagesNow }, Sources: sources, Outbox: notifyNothing{}}}, db
}

// usageOnly is the cache as the usage pages see it, for pages that plan
// no upload.
type usageOnly struct{ *cache.DB }

func (usageOnly) PlanUsage(string, []usage.Record) ([]usage.Chunk, error) { return nil, nil }

type notifyNothing struct{}

func (notifyNothing) Notify() {}

// serveHandler runs one handler for a request as u, as the server would: an
// error becomes the error page through handleError.
func serveHandler(t *testing.T, h *Handler, fn echo.HandlerFunc, u *portal.User, req *http.Request, params ...string) *httptest.ResponseRecorder {
	t.Helper()
	if u != nil {
		req = req.WithContext(portal.NewContextWithUser(req.Context(), u))
	}
	w := httptest.NewRecorder()
	e := echo.New()
	// A route with parameters makes room for them in the context.
	e.GET("/:a/:b/:c", func(echo.Context) error { return nil })
	c := e.NewContext(req, w)
	var names, values []string
	for i := 0; i+1 < len(params); i += 2 {
		names, values = append(names, params[i]), append(values, params[i+1])
	}
	c.SetParamNames(names...)
	c.SetParamValues(values...)
	if err := fn(c); err != nil {
		h.handleError(err, c)
	}
	return w
}

var (
	pagesViewer = &portal.User{Subject: "v", Name: "Vera Viewer", Member: []string{"neuro-sim"}}
	pagesAdmin  = &portal.User{Subject: "a", Name: "Ada Admin", Admin: true}
)

// TestRanges_FromAfterToKeepsThePage asks every page with a time range
// for a "from" after its "to" (as the date pickers allow): the page is
// drawn (422) with its heading, both dates as typed, the fields marked
// for assistive technology with a message that says what is wrong, and
// the page's other filters kept; its CSV twin refuses with the message.
func TestRanges_FromAfterToKeepsThePage(t *testing.T) {
	h, _ := pagesHandler(t)
	bad := "from=2026-11-10&to=2026-11-01"
	for _, c := range []struct {
		name, target, heading, kept string
		fn                          echo.HandlerFunc
		params                      []string
	}{
		{"billing", "/billing?unsent=1&" + bad, "<h1>Billing</h1>", `name="unsent" value="1"`, h.handleBilling, nil},
		{"metrics", "/metrics?granularity=week&" + bad, "<h1>Metrics</h1>", `value="week" selected`, h.handleMetrics, nil},
		{"usage", "/usage?size=20&" + bad, "<h1>Usage</h1>", `name="size" value="20"`, h.handleUsageStatus, nil},
		{"project", "/budgets/projects/neuro-sim?type=storage&" + bad, "Neural Circuit Simulation", `name="type" value="storage"`, h.handleBudgetProject, []string{"key", "neuro-sim"}},
		{"balances", "/budgets/projects/neuro-sim/balances?size=10&" + bad, "balance history", `name="size" value="10"`, h.handleBudgetBalances, []string{"key", "neuro-sim"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := serveHandler(t, h, c.fn, pagesViewer, httptest.NewRequest(http.MethodGet, c.target, nil), c.params...)
			body := w.Body.String()
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422; body:\n%s", w.Code, body)
			}
			for _, want := range []string{c.heading, c.kept,
				`id="range-from" type="date" name="from" value="2026-11-10" required aria-describedby="range-from-error" aria-invalid="true"`,
				`id="range-to" type="date" name="to" value="2026-11-01" required aria-describedby="range-from-error" aria-invalid="true"`,
				`id="range-from-error"`, "From (2026-11-10) is after To (2026-11-01)",
				"Showing the last ", "until the dates are corrected"} {
				if !strings.Contains(html.UnescapeString(body), html.UnescapeString(want)) {
					t.Errorf("the page lacks %s", want)
				}
			}
			if strings.Contains(body, "That request was not right") {
				t.Error("the page was replaced by the error page")
			}

			csv := serveHandler(t, h, c.fn, pagesViewer, httptest.NewRequest(http.MethodGet, strings.Replace(c.target, "?", ".csv?", 1), nil), c.params...)
			if c.name == "project" {
				csv = serveHandler(t, h, h.handleBudgetJobsCSV, pagesViewer, httptest.NewRequest(http.MethodGet, "/budgets/projects/neuro-sim/jobs.csv?"+bad, nil), c.params...)
			}
			if csv.Code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(csv.Body.String()), "is after To") {
				t.Errorf("CSV: status %d, want 400 saying the dates are out of order", csv.Code)
			}
		})
	}
}

// TestRanges_UnreadableDateMarksItsField: a date that is not one marks
// its own field only.
func TestRanges_UnreadableDateMarksItsField(t *testing.T) {
	h, _ := pagesHandler(t)
	w := serveHandler(t, h, h.handleBilling, pagesViewer, httptest.NewRequest(http.MethodGet, "/billing?from=2026-11-01&to=someday", nil))
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `"someday" is not a date: use YYYY-MM-DD.`) ||
		!strings.Contains(body, `name="to" value="someday" required aria-describedby="range-to-error" aria-invalid="true"`) ||
		strings.Contains(body, `name="from" value="2026-11-01" required aria-invalid`) {
		t.Errorf("status %d; body:\n%s", w.Code, body)
	}
}

var zeroFigures = regexp.MustCompile(`0\.0 %|Gaps|not present on this system|Records failed`)

// TestEmptyRange_SaysNoDataAndWhereItIs reads the billing and usage
// pages for a range with no records while records exist before it: the
// page says there is no data for the range and where the data starts
// and ends, and shows no zero figures ("0.0 %", "Gaps: none", "not
// present on this system").
func TestEmptyRange_SaysNoDataAndWhereItIs(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	first := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var recs []billing.Record
	for i := range 48 {
		from := first.Add(time.Duration(i) * time.Hour)
		recs = append(recs, billing.Record{Key: string(rune('a'+i%26)) + from.Format("0102150405"), Created: from.Add(time.Hour).Unix(),
			From: from.Unix(), To: from.Add(time.Hour).Unix(), UsedCores: 4, TotalCores: 8})
	}
	if _, err := db.UpsertBillingRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	days := []usage.StatusDay{{Day: first, Resource: "expanse", Loaded: 5, TotalCharge: "12.5"},
		{Day: first.AddDate(0, 0, 1), Resource: "expanse", Loaded: 3, TotalCharge: "1"}}
	if _, err := db.SaveAMIEStatus(ctx, days, first, first.AddDate(0, 0, 2), pagesNow, true); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, target, want string
		fn                 echo.HandlerFunc
	}{
		{"billing", "/billing?range=30d", "No data for 2026-10-21 – 2026-11-20: billing records end 2026-03-02 (they start 2026-03-01).", h.handleBilling},
		{"usage", "/usage?from=2026-10-01&to=2026-10-31", "No data for 2026-10-01 – 2026-10-31: AMIE's daily status records end 2026-03-02 (they start 2026-03-01).", h.handleUsageStatus},
		{"billing before", "/billing?from=2025-01-01&to=2025-12-31", "No data for 2025-01-01 – 2025-12-31: billing records start 2026-03-01.", h.handleBilling},
	} {
		w := serveHandler(t, h, c.fn, pagesViewer, httptest.NewRequest(http.MethodGet, c.target, nil))
		body := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusOK || !strings.Contains(body, c.want) {
			t.Errorf("%s: status %d, want the page to say %q", c.name, w.Code, c.want)
		}
		if m := zeroFigures.FindString(body); m != "" {
			t.Errorf("%s: an empty range still shows %q", c.name, m)
		}
	}
	// With data in the range, the figures are back.
	w := serveHandler(t, h, h.handleBilling, pagesViewer, httptest.NewRequest(http.MethodGet, "/billing?from=2026-03-01&to=2026-03-02", nil))
	if body := w.Body.String(); strings.Contains(body, `data-testid="no-data"`) || !strings.Contains(body, "50.0 %") {
		t.Errorf("a range with records: no-data notice or no CPU figure")
	}
}

// TestNoData_Wording covers where the data lies relative to the range.
func TestNoData_Wording(t *testing.T) {
	tr := TimeRange{From: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	d := func(m, day int) time.Time { return time.Date(2026, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		e    portal.Extent
		want string
	}{
		{portal.Extent{}, "No data for 2026-05-01 – 2026-05-31: no records have been synced yet."},
		{portal.Extent{First: d(7, 1), Last: d(8, 1)}, "No data for 2026-05-01 – 2026-05-31: records start 2026-07-01."},
		{portal.Extent{First: d(1, 1), Last: d(2, 1)}, "No data for 2026-05-01 – 2026-05-31: records end 2026-02-01 (they start 2026-01-01)."},
		{portal.Extent{First: d(1, 1), Last: d(8, 1)}, "No data for 2026-05-01 – 2026-05-31: records run from 2026-01-01 to 2026-08-01, with none in this range."},
	} {
		if got := noData(tr, c.e, "records"); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}
