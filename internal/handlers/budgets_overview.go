package handlers

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// budgetRow is one project of the overview with its forecast.
type budgetRow struct {
	budgets.Project
	f budgets.Forecast
}

// status is the project's warning: overdrawn, runs out soon, or none.
func (r *budgetRow) status() (kind, text string) {
	switch {
	case !r.HasBalance:
		return "", "not synced yet"
	case r.f.Overdrawn:
		return "bad", "overdrawn"
	case r.f.Soon:
		return "warn", "runs out within " + strconv.Itoa(int(budgets.RunOutWarning/(24*time.Hour))) + " days"
	}
	return "ok", "ok"
}

func (r *budgetRow) rank() int {
	switch k, _ := r.status(); k {
	case "bad":
		return 0
	case "warn":
		return 1
	case "ok":
		return 2
	}
	return 3
}

// runOut is the earlier projected run-out of the two rates (zero: none).
func (r *budgetRow) runOut() time.Time {
	a, b := r.f.RunOut7, r.f.RunOut30
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

var budgetSorts = []string{"lab", "project", "balance", "reserved", "spend7", "spend30", "burn", "runout", "status"}

// budgetCompare orders rows by a sort key; ties by project name. It
// takes pointers: a row is large, and a sort compares it many times.
func budgetCompare(key string) func(a, b *budgetRow) int {
	dec := func(f func(*budgetRow) decimal.Decimal) func(a, b *budgetRow) int {
		return func(a, b *budgetRow) int { return f(a).Cmp(f(b)) }
	}
	byKey := map[string]func(a, b *budgetRow) int{
		"lab":      func(a, b *budgetRow) int { return strings.Compare(a.LabName, b.LabName) },
		"project":  func(a, b *budgetRow) int { return strings.Compare(a.Name, b.Name) },
		"balance":  dec(func(r *budgetRow) decimal.Decimal { return r.Balance }),
		"reserved": dec(func(r *budgetRow) decimal.Decimal { return r.Reservation }),
		"spend7":   dec(func(r *budgetRow) decimal.Decimal { return r.Spend7 }),
		"spend30":  dec(func(r *budgetRow) decimal.Decimal { return r.Spend30 }),
		"burn":     dec(func(r *budgetRow) decimal.Decimal { return r.f.Burn30 }),
		"status":   func(a, b *budgetRow) int { return cmp.Compare(a.rank(), b.rank()) },
		"runout": func(a, b *budgetRow) int {
			// "Not at this rate" sorts after every date.
			ta, tb := a.runOut(), b.runOut()
			switch {
			case ta.IsZero() && tb.IsZero():
				return 0
			case ta.IsZero():
				return 1
			case tb.IsZero():
				return -1
			}
			return ta.Compare(tb)
		},
	}
	by := byKey[key]
	return func(a, b *budgetRow) int {
		if c := by(a, b); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Key, b.Key))
	}
}

// budgetFilter is the overview's filters: a lab, and only projects with a warning.
type budgetFilter struct {
	Lab  string
	Warn bool
}

func parseBudgetFilter(q url.Values) budgetFilter {
	return budgetFilter{Lab: q.Get("lab"), Warn: q.Get("warn") == "1"}
}

// budgetRows computes the overview's project rows: filtered, sorted.
func budgetRows(labs []budgets.Lab, f budgetFilter, lp ListParams, now time.Time) []budgetRow {
	var rows []budgetRow
	for _, l := range labs {
		if f.Lab != "" && l.VlabID != f.Lab {
			continue
		}
		for _, p := range l.Projects {
			r := budgetRow{Project: p, f: p.Forecast(now)}
			if k, _ := r.status(); f.Warn && k != "bad" && k != "warn" {
				continue
			}
			rows = append(rows, r)
		}
	}
	// Sorted by pointer, then laid out once: moving the large rows
	// themselves in a stable sort cost more than the rest of the page.
	c := budgetCompare(lp.Sort)
	order := make([]*budgetRow, len(rows))
	for i := range rows {
		order[i] = &rows[i]
	}
	slices.SortStableFunc(order, func(a, b *budgetRow) int {
		if lp.Desc {
			return c(b, a)
		}
		return c(a, b)
	})
	sorted := make([]budgetRow, len(rows))
	for i, r := range order {
		sorted[i] = *r
	}
	return sorted
}

func (h *Handler) handleBudgets(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	lp, err := parseList(q, budgetSorts, "status", false)
	if err != nil {
		return err
	}
	u, now := user(c), h.nowUTC()
	labs, err := h.Budgets.BudgetOverview(ctx, u.Scope(), now)
	if err != nil {
		return err
	}
	f := parseBudgetFilter(q)
	if wantsCSV(c) {
		return budgetsCSV(c, budgetRows(labs, f, lp, now), now)
	}
	p, err := h.page(c, "Budgets", "budgets", portal.UpstreamOBI)
	if err != nil {
		return err
	}
	k := h.keptBudgetTables(labs, u.Scope(), f, lp, now)
	v := templates.BudgetsView{Page: p, Total: int64(k.total), CSVHref: csvHref(c), LabsCSVHref: withQuery(&url.URL{Path: "/budgets/labs.csv", RawQuery: q.Encode()}, "page", "", "sort", ""),
		Lab: f.Lab, Warn: f.Warn, WarnDays: int(budgets.RunOutWarning / (24 * time.Hour)), CanRequest: u.IsManager(),
		Hidden: hiddenFields(q, "lab", "warn", "page"), Labs: k.labs, LabOptions: k.labOptions, Warnings: k.warnings}
	if v.Notices, err = h.outcomeNotices(c); err != nil {
		return err
	}
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"Virtual lab", "lab", false}, {"Project", "project", false}, {"Balance (credits)", "balance", true},
		{"Reserved (credits)", "reserved", true}, {"Spend 7 days (credits)", "spend7", true}, {"Spend 30 days (credits)", "spend30", true},
		{"Burn rate (credits/day)", "burn", true}, {"Runs out", "runout", false}, {"Status", "status", false}} {
		v.Headers = append(v.Headers, sortHeader(c, lp, col.label, col.key, col.num))
	}
	v.Pager = pager(c, lp, int64(k.total))
	v.Projects = make([]templates.BudgetProjectRow, len(k.projects))
	for i, r := range k.rows {
		v.Projects[i] = k.projects[i]
		runOut(&v.Projects[i], budgetRow{Project: r.Project, f: r.Forecast(now)}, now)
	}
	return render(c, http.StatusOK, templates.Budgets(v))
}

// keptBudgets are the overview's tables for one set of labs, filter,
// sort and page: its labs, and its page of projects without the dates
// their balances run out on.
type keptBudgets struct {
	labs       templates.BudgetLabRows
	labOptions []templates.Option
	rows       []budgetRow
	projects   []templates.BudgetProjectRow
	total      int
	warnings   int
}

// keptBudgetTables builds the overview's tables once per labs (the cache
// hands out its kept labs until OBI, the catalogue or the day moves:
// kept_parts.go), filter, sort and page. Of a project's row only
// the date it runs out on depends on the request's moment: a forecast is
// the moment plus how long the balance lasts, so warnings, statuses and
// the order (which compare those durations) are the same at every moment,
// and each request dates the rows of its page itself.
func (h *Handler) keptBudgetTables(labs []budgets.Lab, scope portal.Scope, f budgetFilter, lp ListParams, now time.Time) keptBudgets {
	spec := scopeSpec(scope) + "\x00" + f.Lab + "\x00" + strconv.FormatBool(f.Warn) + "\x00" + lp.Sort + "\x00" +
		strconv.FormatBool(lp.Desc) + "\x00" + strconv.Itoa(lp.Offset()) + "\x00" + strconv.Itoa(lp.Size)
	return h.budgetTables.get(spec, labs, sameLabs, func() keptBudgets {
		var k keptBudgets
		rows := budgetRows(labs, f, lp, now)
		for _, l := range labs {
			k.labs.List = append(k.labs.List, labRow(l, now, templates.Credits))
			k.labOptions = append(k.labOptions, templates.Option{Value: l.VlabID, Label: l.Name})
		}
		k.labs = k.labs.Kept()
		k.total = len(rows)
		end := min(lp.Offset()+lp.Size, len(rows))
		for _, r := range rows[min(lp.Offset(), len(rows)):end] {
			k.rows = append(k.rows, r)
			k.projects = append(k.projects, projectRow(r, now))
		}
		for _, r := range rows {
			if kind, _ := r.status(); kind == "bad" || kind == "warn" {
				k.warnings++
			}
		}
		return k
	})
}

// runOutText says when a balance runs out: a date, "now", or "not at this rate".
func runOutText(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "not at this rate"
	case !t.After(now):
		return "now (the balance is spent)"
	}
	return templates.FormatDate(t)
}

func projectRow(r budgetRow, now time.Time) templates.BudgetProjectRow {
	kind, text := r.status()
	row := templates.BudgetProjectRow{Key: r.Key, Name: r.Name, Href: "/budgets/projects/" + url.PathEscape(r.Key), Lab: r.LabName,
		Balance: creditsOr(r.Balance, r.HasBalance), Reserved: creditsOr(r.Reservation, r.HasBalance), Spend7: templates.Credits(r.Spend7),
		Spend30: templates.Credits(r.Spend30), Burn: templates.Credits(r.f.Burn30), RunOut: "—", StatusKind: kind, Status: text}
	runOut(&row, r, now)
	return row
}

// runOut writes when a project's balance runs out, seen at now.
func runOut(row *templates.BudgetProjectRow, r budgetRow, now time.Time) {
	row.RunOut, row.RunOutIn = "—", ""
	if r.HasBalance {
		row.RunOut = runOutText(r.runOut(), now)
		if t := r.runOut(); !t.IsZero() && t.After(now) {
			row.RunOutIn = templates.In(now, t)
		}
	}
}

// labRow is a lab's row; credits writes its amounts (grouped on the
// page, plain in the CSV).
func labRow(l budgets.Lab, now time.Time, credits func(decimal.Decimal) string) templates.BudgetLabRow {
	row := templates.BudgetLabRow{ID: l.VlabID, Name: l.Name, Balance: "—", Projects: len(l.Projects),
		Discount: "none", Href: "/budgets?lab=" + url.QueryEscape(l.VlabID)}
	for _, p := range l.Projects {
		r := budgetRow{Project: p, f: p.Forecast(now)}
		if k, _ := r.status(); k == "bad" || k == "warn" {
			row.Warnings++
		}
	}
	if l.HasBalance {
		row.Balance = credits(l.Balance)
	}
	sums := l.ProjectSums()
	row.Assigned, row.Reserved = credits(sums.Assigned), credits(sums.Reserved)
	if l.Discount != nil {
		row.Discount = discountText(*l.Discount)
	}
	return row
}

// discountText is e.g. "15 % since 2026-10-06".
func discountText(d budgets.Discount) string {
	s := d.Discount.Mul(decimal.NewFromInt(100)).String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	s += " % since " + templates.FormatDate(d.ValidFrom)
	if !d.ValidTo.IsZero() {
		s += ", until " + templates.FormatDate(d.ValidTo)
	}
	return s
}

// budgetsCSV is the overview's projects table, in the page's order.
func budgetsCSV(c echo.Context, rows []budgetRow, now time.Time) error {
	w, err := streamCSV(c, "budgets_"+now.Format("2006-01-02")+".csv", []string{"virtual_lab", "project_key", "project", "obi_project_id",
		"balance (credits)", "reserved (credits)", "spend_7d (credits)", "spend_30d (credits)", "burn_rate_30d (credits/day)",
		"burn_rate_7d (credits/day)", "runs_out_30d_rate (date)", "runs_out_7d_rate (date)", "status"})
	if err != nil {
		return err
	}
	for _, r := range rows {
		_, status := r.status()
		// A balance no sync has read is an empty cell, not the page's dash.
		bal, rsv := budgets.CachedBalance{Value: r.Balance, Known: r.HasBalance}, budgets.CachedBalance{Value: r.Reservation, Known: r.HasBalance}
		if err := w.row([]string{r.LabName, r.Key, r.Name, r.ProjID, cachedCSV(bal), cachedCSV(rsv),
			credits(r.Spend7), credits(r.Spend30), credits(r.f.Burn30), credits(r.f.Burn7), csvDate(r.f.RunOut30), csvDate(r.f.RunOut7), status}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

func csvDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// handleBudgetLabsCSV is the overview's virtual labs table.
func (h *Handler) handleBudgetLabsCSV(c echo.Context) error {
	now := h.nowUTC()
	labs, err := h.Budgets.BudgetOverview(c.Request().Context(), user(c).Scope(), now)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, "virtual_labs_"+now.Format("2006-01-02")+".csv", []string{"virtual_lab", "obi_vlab_id", "balance_unassigned (credits)",
		"projects", "projects_balance (credits)", "projects_reserved (credits)", "discount_in_force", "projects_with_warnings"})
	if err != nil {
		return err
	}
	for _, l := range labs {
		r := labRow(l, now, credits)
		if !l.HasBalance {
			r.Balance = "" // no sync has read it: an empty cell, not the page's dash
		}
		if err := w.row([]string{r.Name, r.ID, r.Balance, strconv.Itoa(r.Projects), r.Assigned, r.Reserved, r.Discount, strconv.Itoa(r.Warnings)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

// outcomeNotices tells a requester, once, what became of their requests.
func (h *Handler) outcomeNotices(c echo.Context) ([]templates.Notice, error) {
	u := user(c)
	if !u.IsManager() {
		return nil, nil
	}
	done, err := h.Budgets.TakeBudgetOutcomes(c.Request().Context(), u.Subject)
	if err != nil {
		return nil, err
	}
	var out []templates.Notice
	for _, r := range done {
		n := templates.Notice{Href: "/requests/" + strconv.FormatInt(r.ID, 10), Kind: "info",
			Text: "Your request " + strconv.FormatInt(r.ID, 10) + " (" + r.SummaryWith(templates.Credits) + ") "}
		switch r.State {
		case budgets.Applied:
			n.Kind, n.Text = "ok", n.Text+"was applied in OBI."
		case budgets.Approved:
			n.Text += "was approved and is being sent to OBI."
		case budgets.Denied:
			n.Kind, n.Text = "warn", n.Text+"was denied: "+r.DenyReason
		case budgets.Failed:
			n.Kind, n.Text = "bad", n.Text+"failed: "+r.UpstreamError
		case budgets.NeedsReconciliation:
			n.Kind, n.Text = "warn", n.Text+"got no answer from OBI; an admin is checking whether it was applied."
		}
		out = append(out, n)
	}
	return out, nil
}
