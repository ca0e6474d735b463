package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// CostStore is what the project page, the costs pages and statements need
// from the cache.
type CostStore interface {
	CostProject(ctx context.Context, scope portal.Scope, key string) (*costs.ProjectRef, error)
	CostProjects(ctx context.Context, scope portal.Scope) ([]costs.ProjectRef, error)
	ProjectOBI(ctx context.Context, obiID string, from, to, now time.Time) (costs.OBISummary, error)
	ProjectArgoTotals(ctx context.Context, argoID string, from, to time.Time) ([]costs.ArgoTotal, error)
	ProjectAMIERecords(ctx context.Context, amieID string, from, to time.Time, limit int) ([]costs.AMIESent, map[string]int, error)
	TenantLatest(ctx context.Context, tenantKey int64, history string) (costs.TenantReading, bool, costs.TenantCurrent, error)
	LedgerLines(ctx context.Context, scope portal.Scope, key string, from, to time.Time) (string, []costs.Line, error)
	CostsByProject(ctx context.Context, scope portal.Scope, month time.Time) ([]costs.ProjectCosts, error)
	SpentBetween(ctx context.Context, key string, from, to time.Time) (decimal.Decimal, int, error)
	Budgets(ctx context.Context, scope portal.Scope, key string) ([]costs.Budget, error)
	SetBudget(ctx context.Context, b costs.Budget) error
	RateTable(ctx context.Context, base string) (*costs.Table, error)
	ArgoDefinitionNames(ctx context.Context) (map[string]string, error)
	CostScopes(ctx context.Context) ([]costs.ScopeOption, error)
	AddRate(ctx context.Context, base string, r costs.NewRate, by, byName string) (costs.RateChange, error)
	AddFX(ctx context.Context, base string, f costs.NewFX, by, byName string) (costs.RateChange, error)
	ImportCard(ctx context.Context, base string, rates []costs.NewRate, fx []costs.NewFX, by, byName string) (costs.RateChange, error)
	SourceChecks(ctx context.Context, scope portal.Scope, from, to time.Time, tolerancePct decimal.Decimal) ([]costs.Check, error)
}

// CostSettings are the costs' settings (PORTAL_BASE_CURRENCY, ...).
type CostSettings struct {
	Base             string
	WarnPercent      decimal.Decimal
	TolerancePercent decimal.Decimal
}

// registerCosts mounts the project pages, statements, the costs overview,
// budgets, the rate card and the cross-source checks. Everyone signed in
// reads their own projects' (scoped in SQL: another project is 404);
// budgets and the rate card are set by admins.
func (h *Handler) registerCosts(e *echo.Echo) {
	if h.Costs == nil {
		return
	}
	h.add(e, "GET", "/projects", h.handleProjects, Member)
	h.add(e, "GET", "/projects.csv", h.handleProjects, Member)
	// The page's CSV twin, /projects/<key>.csv, is its ledger lines.
	h.add(e, "GET", "/projects/:key", h.handleProject, Member)
	// :month is "2026-03", with ".csv" or ".json" for the twins.
	h.add(e, "GET", "/projects/:key/statements/:month", h.handleStatement, Member)
	h.add(e, "GET", "/costs", h.handleCosts, Member)
	h.add(e, "GET", "/costs.csv", h.handleCosts, Member)
	h.add(e, "GET", "/costs/budgets.csv", h.handleBudgetsCSV, Member)
	h.add(e, "POST", "/costs/budgets", h.handleSetBudget, Admin)
	h.add(e, "GET", "/costs/rates", h.handleRates, Admin)
	h.add(e, "GET", "/costs/rates.csv", h.handleRates, Admin)
	h.add(e, "POST", "/costs/rates", h.handleAddRate, Admin)
	h.add(e, "POST", "/costs/fx", h.handleAddFX, Admin)
	h.add(e, "GET", "/costs/rates.json", h.handleCardExport, Admin)
	h.add(e, "POST", "/costs/rates.json", h.handleCardImport, Admin)
	h.add(e, "GET", "/costs/reconciliation", h.handleReconcile, Member)
	h.add(e, "GET", "/costs/reconciliation.csv", h.handleReconcile, Member)
}

// money writes an amount of money to the cent (half to even).
func money(d decimal.Decimal) string { return d.StringFixed(costs.MoneyPlaces) }

// quantity writes a quantity for people: exact up to 3 decimals, else
// rounded to 3 (the CSVs keep every digit).
func quantity(d decimal.Decimal) string {
	r := costs.Reduce(d)
	if r.Places() <= 3 {
		return r.StringFixed(r.Places())
	}
	return d.StringFixed(3)
}

// exact writes a decimal in full, in plain notation and without trailing
// fractional zeros (for CSV and JSON).
func exact(d decimal.Decimal) string {
	d = costs.Reduce(d)
	s := d.String()
	if strings.ContainsAny(s, "Ee") {
		return d.StringFixed(max(d.Places(), 0))
	}
	return s
}

// fxText says what an exchange rate means.
func fxText(base, currency string, rate decimal.Decimal, id int64) string {
	if currency == base || id == 0 {
		return "— (" + base + ")"
	}
	return fmt.Sprintf("1 %s = %s %s (version %d)", base, exact(rate), currency, id)
}

// parseMonthParam reads ?month=YYYY-MM (default: now's month).
func parseMonthParam(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return costs.Month(now), nil
	}
	m, err := costs.ParseMonth(s)
	if err != nil {
		return time.Time{}, portal.Errorf(portal.EINVALID, "month: %v", err)
	}
	return m, nil
}

// monthLabel writes "March 2026".
func monthLabel(m time.Time) string { return m.Format("January 2006") }

// projectHref is a project's page, at month when given.
func projectHref(key string, month time.Time) string {
	u := "/projects/" + url.PathEscape(key)
	if !month.IsZero() {
		u += "?month=" + month.Format("2006-01")
	}
	return u
}

// statementHref is a project's statement of month (ext "", ".csv" or ".json").
func statementHref(key string, month time.Time, ext string) string {
	return "/projects/" + url.PathEscape(key) + "/statements/" + month.Format("2006-01") + ext
}

// sourceNotes says, per upstream, where figures come from and as of when.
func (h *Handler) sourceNotes(c echo.Context, upstreams ...string) (map[string]templates.SourceNote, []templates.Freshness, error) {
	fs, err := h.freshness(c, upstreams...)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]templates.SourceNote{}
	for _, f := range fs {
		n := templates.SourceNote{Title: f.Title, Kind: f.Kind()}
		switch {
		case !f.Configured:
			n.AsOf = "not configured"
		case f.AsOf.IsZero():
			n.AsOf = "no data yet"
		default:
			n.AsOf = "data as of " + templates.FormatTime(f.AsOf) + " (" + templates.Ago(f.Now, f.AsOf) + ")"
			if f.Failing {
				n.AsOf += "; the last sync failed"
			}
		}
		out[f.Upstream] = n
	}
	return out, fs, nil
}

// budgetRows evaluates budgets against their periods' spend.
func (h *Handler) budgetRows(ctx context.Context, bs []costs.Budget, names map[string]string, now time.Time) ([]templates.BudgetRowView, error) {
	var out []templates.BudgetRowView
	for _, b := range bs {
		spent, unpriced, err := h.Costs.SpentBetween(ctx, b.Project, b.Period.Start, b.Period.End())
		if err != nil {
			return nil, err
		}
		st := costs.EvaluateBudget(b, spent, now, h.CostSettings.WarnPercent)
		r := templates.BudgetRowView{Project: b.Project, ProjectName: names[b.Project], ProjectHref: projectHref(b.Project, time.Time{}),
			Kind: b.Period.Kind, Period: b.Period.Label(), Budget: money(b.Amount), Spent: money(st.Spent), Remaining: money(st.Remaining),
			UsedPct: st.UsedPct.String() + "%", Burn: money(st.Burn), Projected: money(st.Projected), Level: st.Level,
			Note: b.Note, SetBy: b.SetByName, Unpriced: unpriced}
		if r.ProjectName == "" {
			r.ProjectName = b.Project
		}
		switch {
		case st.RunOut.IsZero():
			r.RunOut = "—"
		case st.Remaining.Sign() <= 0:
			r.RunOut = "spent"
		case st.RunsOutEarly:
			r.RunOut = templates.FormatDate(st.RunOut)
		default:
			r.RunOut = "lasts the period"
		}
		switch st.Level {
		case costs.LevelOver:
			r.LevelKind, r.LevelText = "bad", "over budget"
		case costs.LevelWarn:
			r.LevelKind, r.LevelText = "warn", "watch"
		default:
			r.LevelKind, r.LevelText = "ok", "within budget"
		}
		out = append(out, r)
	}
	return out, nil
}

// currentBudgets keeps the budgets whose period holds t.
func currentBudgets(bs []costs.Budget, t time.Time) []costs.Budget {
	var out []costs.Budget
	for _, b := range bs {
		if !t.Before(b.Period.Start) && t.Before(b.Period.End()) {
			out = append(out, b)
		}
	}
	return out
}

// budgetForm is the empty budget form for admins.
func (h *Handler) budgetForm(c echo.Context, projects []costs.ProjectRef, project, back string, now time.Time) templates.BudgetFormView {
	f := templates.BudgetFormView{Project: project, Kind: costs.PeriodMonth, Period: costs.Month(now).Format("2006-01"), Back: back,
		Base: h.CostSettings.Base, Errors: map[string]string{}}
	for _, p := range projects {
		f.Projects = append(f.Projects, templates.Option{Value: p.Key, Label: p.Name + " (" + p.Key + ")"})
	}
	for _, k := range costs.PeriodKinds {
		f.Kinds = append(f.Kinds, templates.Option{Value: k, Label: k})
	}
	return f
}
