package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/web/templates"
)

// handleCosts is the costs overview: the budgets of the current periods
// and every project's costs in a month (?month=), per source; at .csv the
// month's costs.
func (h *Handler) handleCosts(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	now := h.nowUTC()
	month, err := parseMonthParam(c.QueryParam("month"), now)
	if err != nil {
		return err
	}
	pcs, err := h.Costs.CostsByProject(ctx, u.Scope(), month)
	if err != nil {
		return err
	}
	base := h.CostSettings.Base
	if wantsCSV(c) {
		header := []string{"project_key", "project", "month"}
		for _, s := range costs.Sources {
			header = append(header, s+"_"+base)
		}
		header = append(header, "total_"+base, "unpriced_lines", "ledger_lines", "newest_day")
		w, err := streamCSV(c, "costs-"+month.Format("2006-01")+".csv", header)
		if err != nil {
			return err
		}
		for _, pc := range pcs {
			row := []string{pc.Project, pc.Name, month.Format("2006-01")}
			for _, s := range costs.Sources {
				row = append(row, money(pc.BySource[s]))
			}
			newest := ""
			if !pc.LastDay.IsZero() {
				newest = pc.LastDay.Format(costs.DateLayout)
			}
			row = append(row, money(pc.Total), strconv.Itoa(pc.UnpricedLines), strconv.Itoa(pc.Lines), newest)
			if err := w.row(row); err != nil {
				return w.finish(err)
			}
		}
		return w.finish(nil)
	}
	return h.renderCosts(c, http.StatusOK, month, pcs, nil)
}

// renderCosts draws the overview, with the budget form as sent when it
// was refused.
func (h *Handler) renderCosts(c echo.Context, status int, month time.Time, pcs []costs.ProjectCosts, form *templates.BudgetFormView) error {
	ctx := c.Request().Context()
	u := user(c)
	now := h.nowUTC()
	base := h.CostSettings.Base
	p, err := h.page(c, "Costs", "costs", costs.Sources...)
	if err != nil {
		return err
	}
	v := templates.CostsView{Page: p, Month: monthLabel(month), MonthValue: month.Format("2006-01"), Base: base,
		PrevHref: "/costs?month=" + month.AddDate(0, -1, 0).Format("2006-01"), NextHref: "/costs?month=" + month.AddDate(0, 1, 0).Format("2006-01"),
		CSVHref: csvHref(c), BudgetsCSV: "/costs/budgets.csv", CanSetBudget: u.Admin, WarnPct: h.CostSettings.WarnPercent.String()}
	for _, s := range costs.Sources {
		v.Sources = append(v.Sources, costs.SourceTitle(s))
	}
	total := decimal.Zero
	names := map[string]string{}
	var refs []costs.ProjectRef
	for _, pc := range pcs {
		names[pc.Project] = pc.Name
		refs = append(refs, costs.ProjectRef{Key: pc.Project, Name: pc.Name})
		r := templates.CostRowView{Key: pc.Project, Name: pc.Name, Href: projectHref(pc.Project, month), StatementHref: statementHref(pc.Project, month, ""),
			Total: money(pc.Total), Unpriced: pc.UnpricedLines}
		for _, s := range costs.Sources {
			r.BySource = append(r.BySource, money(pc.BySource[s]))
		}
		total = total.Add(pc.Total)
		v.Rows = append(v.Rows, r)
	}
	v.Total = money(total)
	bs, err := h.Costs.Budgets(ctx, u.Scope(), "")
	if err != nil {
		return err
	}
	if v.Budgets, err = h.budgetRows(ctx, currentBudgets(bs, now), names, now); err != nil {
		return err
	}
	if u.Admin {
		if form != nil {
			v.BudgetForm = *form
		} else {
			v.BudgetForm = h.budgetForm(c, refs, "", "", now)
		}
		v.BudgetForm.CSRF = p.CSRF
	}
	return render(c, status, templates.CostsOverview(v))
}

// handleBudgetsCSV lists the budgets of the user's projects (every
// period, not only the current ones) against their spend.
func (h *Handler) handleBudgetsCSV(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	now := h.nowUTC()
	bs, err := h.Costs.Budgets(ctx, u.Scope(), "")
	if err != nil {
		return err
	}
	refs, err := h.Costs.CostProjects(ctx, u.Scope())
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, r := range refs {
		names[r.Key] = r.Name
	}
	base := h.CostSettings.Base
	w, err := streamCSV(c, "budgets.csv", []string{"project_key", "project", "period_kind", "period", "period_start", "period_end",
		"budget_" + base, "spent_" + base, "remaining_" + base, "used_percent", "burn_" + base + "_per_day", "projected_" + base + "_at_period_end",
		"runs_out", "state", "unpriced_lines", "note", "set_by", "set_at"})
	if err != nil {
		return err
	}
	for _, b := range bs {
		spent, unpriced, err := h.Costs.SpentBetween(ctx, b.Project, b.Period.Start, b.Period.End())
		if err != nil {
			return w.finish(err)
		}
		st := costs.EvaluateBudget(b, spent, now, h.CostSettings.WarnPercent)
		runOut := ""
		if !st.RunOut.IsZero() {
			runOut = st.RunOut.Format(costs.DateLayout)
		}
		if err := w.row([]string{b.Project, names[b.Project], b.Period.Kind, b.Period.Label(), b.Period.Start.Format(costs.DateLayout),
			b.Period.End().AddDate(0, 0, -1).Format(costs.DateLayout), money(b.Amount), money(st.Spent), money(st.Remaining), st.UsedPct.String(),
			money(st.Burn), money(st.Projected), runOut, st.Level, strconv.Itoa(unpriced), b.Note, b.SetByName, csvTime(b.SetAt)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

// maxBudgetNote bounds a budget's note, in characters.
const maxBudgetNote = 500

// handleSetBudget sets a project's budget for a period (admins).
func (h *Handler) handleSetBudget(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	now := h.nowUTC()
	f := templates.BudgetFormView{Project: c.FormValue("project"), Kind: c.FormValue("kind"), Period: strings.TrimSpace(c.FormValue("period")),
		Amount: strings.TrimSpace(c.FormValue("amount")), Note: strings.TrimSpace(c.FormValue("note")), Back: c.FormValue("back"),
		Base: h.CostSettings.Base, Errors: map[string]string{}}
	ref, err := h.Costs.CostProject(ctx, u.Scope(), f.Project)
	if err != nil {
		f.Errors["project"] = "Choose a project of the catalogue."
	}
	period, err := costs.ParsePeriod(f.Kind, f.Period)
	if err != nil {
		f.Errors["period"] = "The period: " + err.Error() + "."
	}
	amount, err := decimal.Parse(f.Amount)
	switch {
	case err != nil:
		f.Errors["amount"] = "Write the amount in " + f.Base + " as a plain number such as 12000 or 12000.50."
	case amount.Sign() < 0:
		f.Errors["amount"] = "The amount must not be negative."
	case amount.Places() > costs.MoneyPlaces:
		f.Errors["amount"] = "Use at most 2 decimal places."
	case amount.Cmp(decimal.NewFromInt(1_000_000_000_000)) > 0:
		f.Errors["amount"] = "The amount is more than 1000000000000."
	}
	if utf8.RuneCountInString(f.Note) > maxBudgetNote {
		f.Errors["note"] = "The note is longer than 500 characters."
	}
	if len(f.Errors) > 0 {
		refs, err := h.Costs.CostProjects(ctx, u.Scope())
		if err != nil {
			return err
		}
		blank := h.budgetForm(c, refs, f.Project, f.Back, now)
		f.Projects, f.Kinds = blank.Projects, blank.Kinds
		month := costs.Month(now)
		pcs, err := h.Costs.CostsByProject(ctx, u.Scope(), month)
		if err != nil {
			return err
		}
		return h.renderCosts(c, http.StatusUnprocessableEntity, month, pcs, &f)
	}
	b := costs.Budget{Project: ref.Key, Period: period, Amount: amount, Note: f.Note, SetBy: u.Subject, SetByName: u.DisplayName()}
	if err := h.Costs.SetBudget(ctx, b); err != nil {
		return err
	}
	msg := "Budget of " + ref.Name + " for the " + period.Kind + " " + period.Label() + " set to " + money(amount) + " " + f.Base + "."
	if f.Back == "project" {
		return h.flashRedirect(c, msg, projectHref(ref.Key, period.Start)+"#budgets")
	}
	return h.flashRedirect(c, msg, "/costs")
}
