package handlers

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// accountsFake holds two labs of one project each and takes requests;
// BudgetAccounts answers with the labs holding a project of the scope, as
// the cache does. Other methods panic.
type accountsFake struct {
	BudgetStore
	created []budgets.NewRequest
}

func (f *accountsFake) BudgetAccounts(_ context.Context, manage portal.Scope) ([]budgets.Lab, error) {
	all := []budgets.Lab{
		{VlabID: "lab-a", Name: "Cortex Lab", Balance: decimal.MustParse("100"), HasBalance: true,
			Projects: []budgets.Project{{Key: "neuro-sim", Name: "Neural", ProjID: "p1", VlabID: "lab-a", Balance: decimal.MustParse("20"), HasBalance: true}}},
		{VlabID: "lab-b", Name: "Earth Systems Lab", Balance: decimal.MustParse("50"), HasBalance: true,
			Projects: []budgets.Project{{Key: "climate-ml", Name: "Climate", ProjID: "p3", VlabID: "lab-b"}}},
	}
	var out []budgets.Lab
	for _, l := range all {
		if manage.Allows(l.Projects[0].Key) {
			out = append(out, l)
		}
	}
	return out, nil
}

// SimilarBudgetRequests finds no likely duplicate.
func (f *accountsFake) SimilarBudgetRequests(context.Context, budgets.NewRequest, time.Time) ([]budgets.Request, error) {
	return nil, nil
}

func (f *accountsFake) CreateBudgetRequest(_ context.Context, n budgets.NewRequest) (int64, error) {
	f.created = append(f.created, n)
	return int64(len(f.created)), nil
}

// The request form through its routes: viewers may not ask; a manager is
// offered and may ask for their own labs and projects only; every field's
// problem comes back on the form (422) and nothing is stored.
func TestRequestForm_RolesAndRefusals(t *testing.T) {
	f := &accountsFake{}
	s := newAreaServer(t, Deps{Budgets: f, Sources: []Source{{Upstream: portal.UpstreamOBI, Configured: true}}},
		func(h *Handler, e *echo.Echo) { h.registerBudgets(e) })
	assign := func(project, amount string) url.Values {
		return url.Values{"kind": {"assign"}, "project": {project}, "amount": {amount}, "justification": {"two more weeks"}}
	}
	if w := s.get(areaViewer, "/requests/new"); w.Code != http.StatusForbidden {
		t.Errorf("a viewer's form: %d", w.Code)
	}
	if w := s.post(areaViewer, "/requests", assign("climate-ml", "1")); w.Code != http.StatusForbidden {
		t.Errorf("a viewer's request: %d", w.Code)
	}
	form := s.get(areaManager, "/requests/new").Body.String()
	if !strings.Contains(form, `value="neuro-sim"`) || strings.Contains(form, "climate-ml") || strings.Contains(form, "Earth Systems Lab") {
		t.Errorf("the form offers projects the manager does not manage")
	}
	for _, c := range []struct {
		name string
		form url.Values
		says string
	}{
		{"another's project", assign("climate-ml", "10"), `data-testid="error-project"`},
		{"another's lab", url.Values{"kind": {"top-up"}, "vlab": {"lab-b"}, "amount": {"10"}, "justification": {"x"}}, `data-testid="error-vlab"`},
		{"a move to the same project", url.Values{"kind": {"move"}, "project": {"neuro-sim"}, "to_project": {"neuro-sim"}, "amount": {"1.5"}, "justification": {"x"}},
			"Choose two different projects"},
		{"amount 0", assign("neuro-sim", "0"), `data-testid="error-amount"`},
		{"amount -5", assign("neuro-sim", "-5"), `data-testid="error-amount"`},
		{"amount 1.234", assign("neuro-sim", "1.234"), `data-testid="error-amount"`},
		{"amount 1e3", assign("neuro-sim", "1e3"), `data-testid="error-amount"`},
		{"amount abc", assign("neuro-sim", "abc"), `data-testid="error-amount"`},
		{"no amount", assign("neuro-sim", ""), `data-testid="error-amount"`},
	} {
		w := s.post(areaManager, "/requests", c.form)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(w.Body.String()), c.says) {
			t.Errorf("%s: %d, want 422 with %s", c.name, w.Code, c.says)
		}
	}
	if len(f.created) != 0 {
		t.Fatalf("refused forms stored %+v", f.created)
	}
	w := s.post(areaManager, "/requests", assign("neuro-sim", "12.50"))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/requests/1" {
		t.Fatalf("a good request: %d %s", w.Code, w.Header().Get("Location"))
	}
	if len(f.created) != 1 || f.created[0].ProjID != "p1" || f.created[0].Actor != "m" || !f.created[0].Amount.Equal(decimal.MustParse("12.50")) {
		t.Fatalf("stored %+v", f.created)
	}
}
