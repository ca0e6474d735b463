package handlers

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// overviewFake hands out its labs as the cache does: the same slice
// until the data changes.
type overviewFake struct {
	BudgetStore
	labs []budgets.Lab
}

func (f *overviewFake) BudgetOverview(context.Context, portal.Scope, time.Time) ([]budgets.Lab, error) {
	return f.labs, nil
}

func (f *overviewFake) TakeBudgetOutcomes(context.Context, string) ([]budgets.Request, error) {
	return nil, nil
}

func overviewLabs(spend7 string) []budgets.Lab {
	var labs []budgets.Lab
	for l := range 3 {
		lab := budgets.Lab{VlabID: fmt.Sprintf("lab-%d", l), Name: fmt.Sprintf("Lab %d", l), Balance: decimal.MustParse("1000"), HasBalance: true}
		for p := range 40 {
			// Balances that run out now, within days, within weeks, never;
			// one project never synced.
			pr := budgets.Project{Key: fmt.Sprintf("p-%d-%02d", l, p), Name: fmt.Sprintf("Project %d.%02d", l, p), VlabID: lab.VlabID,
				LabName: lab.Name, Balance: decimal.MustParse(fmt.Sprintf("%d.37", (p*37)%500-20)), HasBalance: p != 7,
				Spend7: decimal.MustParse(spend7), Spend30: decimal.MustParse(fmt.Sprintf("%d", (p%5)*30))}
			proj := budgets.NewProjection(pr.Balance, pr.Spend7, pr.Spend30)
			pr.Projection = &proj
			lab.Projects = append(lab.Projects, pr)
		}
		labs = append(labs, lab)
	}
	return labs
}

// TestBudgetsOverview_KeptTablesDatedAtEachRequest: the overview's tables
// are kept by the labs the cache hands out; a request at another moment
// gets the page a handler without anything kept renders at that moment
// (run-out dates and all), and labs changed by a sync are shown at once.
func TestBudgetsOverview_KeptTablesDatedAtEachRequest(t *testing.T) {
	f := &overviewFake{labs: overviewLabs("70")}
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	handler := func() *Handler {
		return &Handler{Deps: Deps{Store: &coreFake{}, Budgets: f, Now: func() time.Time { return at }}}
	}
	page := func(h *Handler, target string) string {
		t.Helper()
		req := httptest.NewRequest("GET", target, nil)
		req = req.WithContext(portal.NewContextWithUser(req.Context(), areaAdmin))
		w := httptest.NewRecorder()
		if err := h.handleBudgets(echo.New().NewContext(req, w)); err != nil {
			t.Fatal(err)
		}
		return w.Body.String()
	}
	kept := handler()
	for _, target := range []string{"/budgets", "/budgets?sort=runout&page=2", "/budgets?warn=1&lab=lab-1&sort=balance&desc=1"} {
		at = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		first := page(kept, target)
		if first != page(handler(), target) {
			t.Fatalf("%s: the first page differs from one rendered afresh", target)
		}
		at = at.Add(37*time.Hour + 13*time.Minute + 7*time.Second + 5)
		later := page(kept, target)
		if later == first {
			t.Errorf("%s: a day and a half later the page still dates its balances as before", target)
		}
		if later != page(handler(), target) {
			t.Errorf("%s: the kept tables at another moment differ from tables rendered afresh then", target)
		}
	}
	before := page(kept, "/budgets")
	f.labs = overviewLabs("140") // the next OBI sync: spend doubled
	after := page(kept, "/budgets")
	if after == before || after != page(handler(), "/budgets") || !strings.Contains(after, "140.00") {
		t.Error("labs a sync changed kept the tables built before it")
	}
}
