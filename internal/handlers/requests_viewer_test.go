package handlers

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
)

// TestRequests_ViewerReadsTheirProjectsRequests: a member who manages
// nothing reads the requests of their project (the list, a request's
// page, both CSVs) without a button to ask, cancel or decide; another
// project's request is not found, and a move's other project shows no
// balance.
func TestRequests_ViewerReadsTheirProjectsRequests(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	const otherProj = "7d2e3c70-8f71-4f65-8c90-4a3e2dbfaf93"
	if _, err := db.SaveOBIBalances(ctx, pagesNow, []budgets.LabReading{{VlabID: formLab, Balance: decimal.MustParse("100"),
		Projects: []budgets.ProjectReading{{ProjID: formProj, Balance: decimal.MustParse("5")},
			{ProjID: otherProj, Balance: decimal.MustParse("777.77")}}}}); err != nil {
		t.Fatal(err)
	}
	create := func(n budgets.NewRequest) int64 {
		t.Helper()
		n.VlabID, n.Justification, n.Actor, n.ActorName = formLab, "for the spring school", "m", "Max Manager"
		n.Amount = decimal.MustParse("12.5")
		id, err := db.CreateBudgetRequest(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	own := create(budgets.NewRequest{Kind: budgets.Assign, ProjID: formProj, ProjectKey: "neuro-sim"})
	move := create(budgets.NewRequest{Kind: budgets.Move, ProjID: otherProj, ProjectKey: "brain-atlas", ToProjID: formProj, ToProjectKey: "neuro-sim"})
	other := create(budgets.NewRequest{Kind: budgets.Assign, ProjID: otherProj, ProjectKey: "brain-atlas"})

	get := func(fn echo.HandlerFunc, target string, params ...string) *httptest.ResponseRecorder {
		t.Helper()
		return serveHandler(t, h, fn, pagesViewer, httptest.NewRequest(http.MethodGet, target, nil), params...)
	}
	list := get(h.handleRequests, "/requests")
	body := html.UnescapeString(list.Body.String())
	if list.Code != http.StatusOK {
		t.Fatalf("the list: %d\n%s", list.Code, body)
	}
	for _, id := range []int64{own, move} {
		if !strings.Contains(body, `data-request="`+strconv.FormatInt(id, 10)+`"`) {
			t.Errorf("the list lacks request %d", id)
		}
	}
	if strings.Contains(body, `data-request="`+strconv.FormatInt(other, 10)+`"`) || strings.Contains(body, "777.77") {
		t.Error("the list shows another project's request or balance")
	}
	if strings.Contains(body, `href="/requests/new"`) {
		t.Error("the list offers a viewer to request budget")
	}
	if !strings.Contains(body, `<a href="/requests" aria-current="page">Requests`) {
		t.Error("the navigation has no Requests link for the viewer")
	}
	csv := get(h.handleRequests, "/requests.csv")
	if lines := strings.Count(strings.TrimSpace(csv.Body.String()), "\n"); csv.Code != http.StatusOK || lines != 2 ||
		strings.Contains(csv.Body.String(), "777.77") {
		t.Errorf("the CSV: %d with %d rows\n%s", csv.Code, lines, csv.Body.String())
	}

	for _, id := range []int64{own, move} {
		s := strconv.FormatInt(id, 10)
		page := get(h.handleRequest, "/requests/"+s, "id", s)
		body := html.UnescapeString(page.Body.String())
		if page.Code != http.StatusOK || !strings.Contains(body, "Budget request "+s) {
			t.Fatalf("request %d: %d\n%s", id, page.Code, body)
		}
		if strings.Contains(body, `action="/requests/`) || strings.Contains(body, "approvals") {
			t.Errorf("request %d offers the viewer an action:\n%s", id, body)
		}
		if strings.Contains(body, "777.77") {
			t.Errorf("request %d shows the balance of a project outside the viewer's", id)
		}
		if c := get(h.handleRequest, "/requests/"+s+".csv", "id", s+".csv"); c.Code != http.StatusOK {
			t.Errorf("request %d's CSV: %d", id, c.Code)
		}
	}
	s := strconv.FormatInt(other, 10)
	for _, target := range []string{"/requests/" + s, "/requests/" + s + ".csv"} {
		if w := get(h.handleRequest, target, "id", strings.TrimPrefix(target, "/requests/")); w.Code != http.StatusNotFound {
			t.Errorf("%s, another project's request: %d, want 404", target, w.Code)
		}
	}
	// Its requester and admins still read it, the balance included.
	page := serveHandler(t, h, h.handleRequest, pagesAdmin, httptest.NewRequest(http.MethodGet, "/requests/"+s, nil), "id", s)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "777.77") {
		t.Errorf("an admin reads request %d: %d", other, page.Code)
	}
}
