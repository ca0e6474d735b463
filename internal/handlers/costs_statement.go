package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// statementParam reads :month of a statement URL: "2026-03", "2026-03.csv"
// or "2026-03.json".
func statementParam(s string) (time.Time, string, error) {
	ext := ""
	for _, e := range []string{".csv", ".json"} {
		if strings.HasSuffix(s, e) {
			ext, s = e, strings.TrimSuffix(s, e)
		}
	}
	m, err := costs.ParseMonth(s)
	if err != nil {
		return time.Time{}, "", portal.Errorf(portal.ENOTFOUND, "There is no statement at this address: %v.", err)
	}
	return m, ext, nil
}

// handleStatement is a project's monthly statement: a printable page, its
// CSV (.csv) and its JSON (.json).
func (h *Handler) handleStatement(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	key := c.Param("key")
	month, ext, err := statementParam(c.Param("month"))
	if err != nil {
		return err
	}
	name, lines, err := h.Costs.LedgerLines(ctx, u.Scope(), key, month, month.AddDate(0, 1, 0))
	if err != nil {
		return err
	}
	base := h.CostSettings.Base
	st := costs.BuildStatement(key, name, month, base, lines)
	scopes, err := h.Costs.CostScopes(ctx)
	if err != nil {
		return err
	}
	names := costs.NewScopeNames(scopes)
	notes, fs, err := h.sourceNotes(c, costs.Sources...)
	if err != nil {
		return err
	}
	now := h.nowUTC()
	switch ext {
	case ".csv":
		return h.statementCSV(c, st, names)
	case ".json":
		return statementJSON(c, st, names, notes, now)
	}
	p, err := h.page(c, "Statement "+month.Format("2006-01")+" · "+name, "projects")
	if err != nil {
		return err
	}
	p.Sources = fs
	v := templates.StatementView{Page: p, Key: key, Name: name, Month: monthLabel(month), MonthValue: month.Format("2006-01"), Base: base,
		Issued: templates.FormatTime(now), Total: money(st.Total), CSVHref: statementHref(key, month, ".csv"),
		JSONHref: statementHref(key, month, ".json"), ProjectHref: projectHref(key, month),
		PrevHref: statementHref(key, month.AddDate(0, -1, 0), ""), NextHref: statementHref(key, month.AddDate(0, 1, 0), "")}
	for _, s := range costs.Sources {
		v.Sources = append(v.Sources, templates.SourceNote{Title: costs.SourceTitle(s) + " (" + notes[s].Title + ")", AsOf: notes[s].AsOf, Kind: notes[s].Kind})
	}
	for _, l := range st.Lines {
		v.Lines = append(v.Lines, templates.StatementLineView{Source: costs.SourceTitle(l.Source), Measure: l.Measure, Scope: names.Name(l.Source, l.Scope),
			Days: daysText(l.First, l.Last, l.Days), Quantity: quantity(l.Quantity), Unit: l.Unit, Rate: exact(l.Price), PerUnit: l.PerUnit,
			RateVersion: strconv.FormatInt(l.RateID, 10), FX: fxText(base, l.Currency, l.FXRate, l.FXID), Amount: money(l.Amount),
			Currency: l.Currency, Charged: money(l.Charged)})
	}
	for _, t := range st.Totals {
		v.Totals = append(v.Totals, templates.Link{Label: costs.SourceTitle(t.Source), Href: money(t.Total)})
	}
	for _, un := range st.Unpriced {
		v.Unpriced = append(v.Unpriced, templates.UnpricedLineView{Source: costs.SourceTitle(un.Source), Measure: un.Measure, Scope: names.Name(un.Source, un.Scope),
			Days: daysText(un.First, un.Last, un.Days), Quantity: quantity(un.Quantity), Unit: un.Unit, Reason: un.Reason})
	}
	return render(c, http.StatusOK, templates.Statement(v))
}

// daysText writes the days a line covers: "1–14 Mar (14 days)".
func daysText(first, last time.Time, n int) string {
	if first.Equal(last) {
		return first.Format("2 Jan") + " (1 day)"
	}
	return fmt.Sprintf("%s–%s (%d days)", first.Format("2"), last.Format("2 Jan"), n)
}

// statementCSV writes a statement: its charged lines, then its unpriced
// usage (line = "unpriced", with the reason), then a total line.
func (h *Handler) statementCSV(c echo.Context, st costs.Statement, names costs.ScopeNames) error {
	base := st.Base
	w, err := streamCSV(c, "statement-"+st.Project+"-"+st.Month.Format("2006-01")+".csv", []string{"line", "project_key", "month", "source", "measure",
		"scope", "scope_name", "first_day", "last_day", "days", "quantity", "quantity_unit", "rate_version", "price", "price_unit", "currency",
		"fx_version", "fx_currency_per_" + base, "amount_in_currency", "amount_" + base + "_exact", "charged_" + base, "unpriced_reason"})
	if err != nil {
		return err
	}
	m := st.Month.Format("2006-01")
	for _, l := range st.Lines {
		if err := w.row([]string{"charged", st.Project, m, l.Source, l.Measure, l.Scope, names.Name(l.Source, l.Scope), l.First.Format(costs.DateLayout), l.Last.Format(costs.DateLayout),
			strconv.Itoa(l.Days), exact(l.Quantity), l.Unit, strconv.FormatInt(l.RateID, 10), exact(l.Price), l.PerUnit, l.Currency,
			strconv.FormatInt(l.FXID, 10), exact(l.FXRate), exact(l.Amount), exact(l.AmountBase), money(l.Charged), ""}); err != nil {
			return w.finish(err)
		}
	}
	for _, un := range st.Unpriced {
		if err := w.row([]string{"unpriced", st.Project, m, un.Source, un.Measure, un.Scope, names.Name(un.Source, un.Scope), un.First.Format(costs.DateLayout), un.Last.Format(costs.DateLayout),
			strconv.Itoa(un.Days), exact(un.Quantity), un.Unit, "", "", "", "", "", "", "", "", "", un.Reason}); err != nil {
			return w.finish(err)
		}
	}
	for _, t := range st.Totals {
		if err := w.row([]string{"subtotal", st.Project, m, t.Source, "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", money(t.Total), ""}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(w.row([]string{"total", st.Project, m, "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", money(st.Total), ""}))
}

type jsonStatementLine struct {
	Source      string `json:"source"`
	Measure     string `json:"measure"`
	Scope       string `json:"scope"`
	ScopeName   string `json:"scope_name"`
	FirstDay    string `json:"first_day"`
	LastDay     string `json:"last_day"`
	Days        int    `json:"days"`
	Quantity    string `json:"quantity"`
	Unit        string `json:"quantity_unit"`
	RateVersion int64  `json:"rate_version,omitempty"`
	Price       string `json:"price,omitempty"`
	PriceUnit   string `json:"price_unit,omitempty"`
	Currency    string `json:"currency,omitempty"`
	FXVersion   int64  `json:"fx_version,omitempty"`
	FX          string `json:"fx_currency_per_base,omitempty"`
	Amount      string `json:"amount_in_currency,omitempty"`
	AmountBase  string `json:"amount_base_exact,omitempty"`
	Charged     string `json:"charged,omitempty"`
	Reason      string `json:"unpriced_reason,omitempty"`
}

type jsonStatement struct {
	Project      string              `json:"project_key"`
	ProjectName  string              `json:"project"`
	Month        string              `json:"month"`
	BaseCurrency string              `json:"base_currency"`
	Issued       string              `json:"issued"`
	Sources      map[string]string   `json:"data_as_of"`
	Lines        []jsonStatementLine `json:"lines"`
	Totals       map[string]string   `json:"totals"`
	Total        string              `json:"total"`
	Unpriced     []jsonStatementLine `json:"unpriced"`
}

// statementJSON writes a statement as JSON: every amount an exact decimal
// string, so no reader takes money for a float.
func statementJSON(c echo.Context, st costs.Statement, names costs.ScopeNames, notes map[string]templates.SourceNote, now time.Time) error {
	js := jsonStatement{Project: st.Project, ProjectName: st.ProjectName, Month: st.Month.Format("2006-01"), BaseCurrency: st.Base,
		Issued: now.Format(time.RFC3339), Sources: map[string]string{}, Lines: []jsonStatementLine{}, Totals: map[string]string{},
		Total: money(st.Total), Unpriced: []jsonStatementLine{}}
	for s, n := range notes {
		js.Sources[s] = n.AsOf
	}
	for _, l := range st.Lines {
		js.Lines = append(js.Lines, jsonStatementLine{Source: l.Source, Measure: l.Measure, Scope: l.Scope, ScopeName: names.Name(l.Source, l.Scope), FirstDay: l.First.Format(costs.DateLayout),
			LastDay: l.Last.Format(costs.DateLayout), Days: l.Days, Quantity: exact(l.Quantity), Unit: l.Unit, RateVersion: l.RateID,
			Price: exact(l.Price), PriceUnit: l.PerUnit, Currency: l.Currency, FXVersion: l.FXID, FX: exact(l.FXRate), Amount: exact(l.Amount),
			AmountBase: exact(l.AmountBase), Charged: money(l.Charged)})
	}
	for _, t := range st.Totals {
		js.Totals[t.Source] = money(t.Total)
	}
	for _, un := range st.Unpriced {
		js.Unpriced = append(js.Unpriced, jsonStatementLine{Source: un.Source, Measure: un.Measure, Scope: un.Scope, ScopeName: names.Name(un.Source, un.Scope), FirstDay: un.First.Format(costs.DateLayout),
			LastDay: un.Last.Format(costs.DateLayout), Days: un.Days, Quantity: exact(un.Quantity), Unit: un.Unit, Reason: un.Reason})
	}
	b, err := json.MarshalIndent(js, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+unsafeFilename.ReplaceAllString("statement-"+st.Project+"-"+js.Month, "_")+`.json"`)
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", append(b, '\n'))
}
