package handlers

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
)

// TestNumbers_PagesGroupCSVsPlain: a page prints credits with thousands
// separators and two decimals ("721,732.07", as it prints counts
// "6,238"), and its CSV twin the same figures plain ("721732.07").
func TestNumbers_PagesGroupCSVsPlain(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	if _, err := db.SaveOBIBalances(ctx, pagesNow, []budgets.LabReading{{VlabID: formLab, Balance: decimal.MustParse("1234567.891"),
		Projects: []budgets.ProjectReading{{ProjID: formProj, Balance: decimal.MustParse("721732.07")}}}}); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreateBudgetRequest(ctx, budgets.NewRequest{Kind: budgets.Assign, VlabID: formLab, ProjID: formProj, ProjectKey: "neuro-sim",
		Amount: decimal.MustParse("6238.5"), Justification: "for the spring school", Actor: "m", ActorName: "Max Manager"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(fn echo.HandlerFunc, target string, params ...string) string {
		t.Helper()
		w := serveHandler(t, h, fn, pagesAdmin, httptest.NewRequest(http.MethodGet, target, nil), params...)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d\n%s", target, w.Code, w.Body)
		}
		return html.UnescapeString(w.Body.String())
	}
	s := strconv.FormatInt(id, 10)
	for _, c := range []struct {
		target string
		fn     echo.HandlerFunc
		params []string
		want   []string
	}{
		{"/budgets", h.handleBudgets, nil, []string{"721,732.07", "1,234,567.89"}},
		{"/requests", h.handleRequests, nil, []string{"6,238.50"}},
		{"/requests/" + s, h.handleRequest, []string{"id", s}, []string{"6,238.50", "721,732.07"}},
	} {
		body := get(c.fn, c.target, c.params...)
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", c.target, w)
			}
			if plain := strings.ReplaceAll(w, ",", ""); strings.Contains(body, ">"+plain) {
				t.Errorf("%s prints %q without separators", c.target, plain)
			}
		}
	}
	for _, c := range []struct {
		target string
		fn     echo.HandlerFunc
		want   []string
	}{
		{"/budgets.csv", h.handleBudgets, []string{"721732.07"}},
		{"/requests.csv", h.handleRequests, []string{"6238.50"}},
		{"/budgets/labs.csv", h.handleBudgetLabsCSV, []string{"1234567.89", "721732.07"}},
	} {
		body := get(c.fn, c.target)
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q\n%s", c.target, w, body)
			}
		}
		// Only the prose cells (a request's summary) may carry a comma
		// inside quotes; no figure is grouped.
		for _, grouped := range []string{"721,732", "6,238.50", "1,234,567"} {
			if strings.Contains(body, grouped) {
				t.Errorf("%s has the grouped figure %q\n%s", c.target, grouped, body)
			}
		}
	}
}

// TestNumbers_APIWarningsPlain: the request form's over-balance warning
// groups its figures as the page does; the same warning in the API's
// JSON keeps them plain, as the API's figures are everywhere.
func TestNumbers_APIWarningsPlain(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	if _, err := db.SaveOBIBalances(ctx, pagesNow, []budgets.LabReading{{VlabID: formLab, Balance: decimal.MustParse("1234567.891"),
		Projects: []budgets.ProjectReading{{ProjID: formProj, Balance: decimal.MustParse("5")}}}}); err != nil {
		t.Fatal(err)
	}
	st, body := postRequest(t, h, formManager, url.Values{"kind": {"assign"}, "project": {"neuro-sim"}, "amount": {"2000000"}, "justification": {"more"}})
	if want := "has 1,234,567.89 credits unassigned at the last sync, less than the 2,000,000.00 asked for"; st != http.StatusUnprocessableEntity ||
		!strings.Contains(body, want) {
		t.Errorf("the form: %d, want %q in\n%s", st, want, body)
	}
	req := httptest.NewRequest(http.MethodPost, APIBase+"/requests",
		strings.NewReader(`{"kind": "assign", "project": "neuro-sim", "amount": "2000000", "justification": "more"}`))
	req.Header.Set("Content-Type", "application/json")
	w := serveHandler(t, h, h.handleAPIRequestCreate, formManager, req)
	var out APIInvalid
	if w.Code != http.StatusUnprocessableEntity || json.Unmarshal(w.Body.Bytes(), &out) != nil {
		t.Fatalf("the API: %d %s", w.Code, w.Body)
	}
	if want := "has 1234567.89 credits unassigned at the last sync, less than the 2000000.00 asked for"; !strings.Contains(out.Error.Fields["acknowledge"], want) {
		t.Errorf("the API's warning %q, want %q", out.Error.Fields["acknowledge"], want)
	}
	req = httptest.NewRequest(http.MethodPost, APIBase+"/requests",
		strings.NewReader(`{"kind": "assign", "project": "neuro-sim", "amount": "2000000", "justification": "more", "acknowledge": true}`))
	w = serveHandler(t, h, h.handleAPIRequestCreate, formManager, req)
	var made APIWritten
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &made) != nil || !strings.Contains(made.Summary, "Assign 2000000.00 credits") {
		t.Errorf("the API's summary: %d %s", w.Code, w.Body)
	}
}
