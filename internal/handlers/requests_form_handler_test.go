package handlers

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

// budgetHandler is a Handler over a real cache holding one lab with one
// project, whose balances no sync has read.
func budgetHandler(t *testing.T) (*Handler, *cache.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	const lab, proj = "0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10", "5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71"
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{VirtualLabs: []portal.VirtualLab{{ID: lab, Name: "Cortex Lab"}},
		Projects: []portal.CatalogProject{{Key: "neuro-sim", Name: "Neural Circuit Simulation", OBIID: proj, OBIVlabID: lab}}}); err != nil {
		t.Fatal(err)
	}
	return &Handler{Deps: Deps{Logger: slog.New(slog.DiscardHandler), Store: db, Budgets: db, Now: func() time.Time { return now },
		Sources: []Source{{Upstream: portal.UpstreamOBI, Configured: true}}}}, db
}

// TestRequestCreate_AmountTooBigSaysSo posts the request form through its
// handler, over a real cache: an amount of 20 digits is refused with a
// message that it is too big and what the limit is, and nothing is stored.
func TestRequestCreate_AmountTooBigSaysSo(t *testing.T) {
	ctx := context.Background()
	h, db := budgetHandler(t)
	manager := &portal.User{Subject: "m", Manages: []string{"neuro-sim"}, Member: []string{"neuro-sim"}}

	post := func(amount string) *httptest.ResponseRecorder {
		form := url.Values{"kind": {"assign"}, "project": {"neuro-sim"}, "amount": {amount}, "justification": {"more simulations"}}
		req := httptest.NewRequest(http.MethodPost, "/requests", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req = req.WithContext(portal.NewContextWithUser(req.Context(), manager))
		w := httptest.NewRecorder()
		if err := h.handleRequestCreate(echo.New().NewContext(req, w)); err != nil {
			t.Fatalf("%s: %v", amount, err)
		}
		return w
	}
	for _, amount := range []string{"99999999999999999999", "10000000000000", strings.Repeat("9", 400)} {
		w := post(amount)
		body := html.UnescapeString(w.Body.String())
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "The amount is too big: a request can ask for at most 9999999999999.99 credits") {
			t.Errorf("%.30s: %d, the page does not say the amount is too big", amount, w.Code)
		}
		if strings.Contains(body, "no sign, spaces, letters or thousands separators") {
			t.Errorf("%.30s: the page talks about signs and separators", amount)
		}
	}
	if rs, total, err := db.ListBudgetRequests(ctx, budgets.RequestFilter{Scope: portal.Scope{All: true}}); err != nil || total != 0 {
		t.Fatalf("requests stored: %v %d %v", rs, total, err)
	}
	// The largest amount is taken.
	if w := post("9999999999999.99"); w.Code != http.StatusSeeOther {
		t.Fatalf("the largest amount: %d %s", w.Code, w.Body.String())
	}
}

// A balance no sync has read is absent: a dash on the page, an empty cell
// in the CSV (as every other CSV shows an unknown amount), never 0.
func TestBudgetsCSV_AbsentBalanceIsEmpty(t *testing.T) {
	h, _ := budgetHandler(t)
	get := func(target string) string {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req = req.WithContext(portal.NewContextWithUser(req.Context(), &portal.User{Subject: "a", Admin: true}))
		w := httptest.NewRecorder()
		if err := h.handleBudgets(echo.New().NewContext(req, w)); err != nil || w.Code != http.StatusOK {
			t.Fatalf("%s: %d %v", target, w.Code, err)
		}
		return w.Body.String()
	}
	lines := strings.Split(strings.TrimSpace(get("/budgets.csv")), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "Cortex Lab,neuro-sim,Neural Circuit Simulation,5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71,,,") {
		t.Fatalf("CSV %q", lines)
	}
	if page := get("/budgets"); !strings.Contains(page, "—") {
		t.Error("the page does not mark the unread balance with a dash")
	}
}
