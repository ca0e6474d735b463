package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// handleRates is the admins' rate card page (and, at .csv, every rate version).
func (h *Handler) handleRates(c echo.Context) error {
	if wantsCSV(c) {
		return h.ratesCSV(c)
	}
	now := h.nowUTC()
	return h.renderRates(c, http.StatusOK, templates.RateFormView{Source: portal.UpstreamVergeOS, Scope: costs.AnyScope,
		Currency: h.CostSettings.Base, ValidFrom: costs.Day(now).Format(costs.DateLayout)},
		templates.FXFormView{ValidFrom: costs.Day(now).Format(costs.DateLayout)}, "", nil)
}

func (h *Handler) ratesCSV(c echo.Context) error {
	t, err := h.Costs.RateTable(c.Request().Context(), h.CostSettings.Base)
	if err != nil {
		return err
	}
	now := costs.Day(h.nowUTC())
	w, err := streamCSV(c, "rate-card.csv", []string{"kind", "version", "source", "measure", "scope", "price", "price_unit", "currency",
		"fx_currency_per_" + t.Base, "valid_from", "state_today", "entered_by", "entered_at"})
	if err != nil {
		return err
	}
	units, err := h.Costs.ArgoDefinitionNames(c.Request().Context())
	if err != nil {
		return w.finish(err)
	}
	for _, r := range t.SortedRates() {
		state, _ := rateState(t, r, now)
		if err := w.row([]string{"rate", strconv.FormatInt(r.ID, 10), r.Source, r.Measure, r.Scope, exact(r.Price), ratePerUnit(r, units),
			r.Currency, "", r.ValidFrom.Format(costs.DateLayout), state, r.CreatedByName, csvTime(r.CreatedAt)}); err != nil {
			return w.finish(err)
		}
	}
	for _, f := range t.SortedFX() {
		state, _ := fxState(t, f, now)
		if err := w.row([]string{"fx", strconv.FormatInt(f.ID, 10), "", "", "", "", "", f.Currency, exact(f.PerBase),
			f.ValidFrom.Format(costs.DateLayout), state, f.CreatedByName, csvTime(f.CreatedAt)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

// ratePerUnit writes a rate's unit in full.
func ratePerUnit(r costs.Rate, argoUnits map[string]string) string {
	if r.Source == portal.UpstreamArgo {
		return costs.ArgoMeasure(r.Measure, argoUnits[r.Measure]).PerUnit(r.Currency)
	}
	return costs.PerUnit(r.Source, r.Measure, "", r.Currency)
}

// rateState says whether a version applies today.
func rateState(t *costs.Table, r costs.Rate, today time.Time) (string, string) {
	day := costs.Day(today)
	switch {
	case t.Superseded(r):
		return "superseded (corrected by a later entry)", "bad"
	case r.ValidFrom.After(day):
		return "from " + r.ValidFrom.Format(costs.DateLayout), "info"
	}
	if cur, ok := t.RateFor(r.Source, r.Measure, r.Scope, day); ok && cur.ID == r.ID {
		return "in force", "ok"
	}
	return "replaced by a later version", ""
}

func fxState(t *costs.Table, f costs.FX, today time.Time) (string, string) {
	day := costs.Day(today)
	if f.ValidFrom.After(day) {
		return "from " + f.ValidFrom.Format(costs.DateLayout), "info"
	}
	if cur, ok := t.FXFor(f.Currency, day); ok && cur.ID == f.ID {
		return "in force", "ok"
	}
	return "replaced by a later version", ""
}

// renderRates draws the rate card page; problems (of the form named by
// problemsOf) are listed above the forms, which keep what was typed.
func (h *Handler) renderRates(c echo.Context, status int, form templates.RateFormView, fx templates.FXFormView, problemsOf string, problems []string) error {
	ctx := c.Request().Context()
	base := h.CostSettings.Base
	t, err := h.Costs.RateTable(ctx, base)
	if err != nil {
		return err
	}
	units, err := h.Costs.ArgoDefinitionNames(ctx)
	if err != nil {
		return err
	}
	scopes, err := h.Costs.CostScopes(ctx)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Rate card", "costs")
	if err != nil {
		return err
	}
	now := h.nowUTC()
	v := templates.RatesView{Page: p, Base: base, CSVHref: csvHref(c), Problems: problems, ProblemsOf: problemsOf, Form: form, FXForm: fx,
		Today: costs.Day(now).Format(costs.DateLayout)}
	for _, s := range costs.Sources {
		v.Sources = append(v.Sources, templates.Option{Value: s, Label: costs.SourceTitle(s) + " (" + s + ")"})
	}
	for _, s := range scopes {
		label := s.Source + ": " + s.Label
		if s.Detail != "" {
			label += " (" + s.Detail + ")"
		}
		v.Scopes = append(v.Scopes, templates.Option{Value: s.ID, Label: label})
	}
	for _, m := range costs.FixedMeasures() {
		v.Measures = append(v.Measures, templates.MeasureRowView{Source: m.Source, Measure: m.Name, Title: m.Title, PerUnit: m.PerUnit(base), Scope: costs.ScopeKind(m.Source)})
		v.MeasureOptions = append(v.MeasureOptions, templates.Option{Value: m.Name, Label: m.Source + ": " + m.Title})
	}
	defs := make([]string, 0, len(units))
	for d := range units {
		defs = append(defs, d)
	}
	sort.Strings(defs)
	for _, d := range defs {
		m := costs.ArgoMeasure(d, units[d])
		v.Measures = append(v.Measures, templates.MeasureRowView{Source: m.Source, Measure: m.Name, Title: m.Title, PerUnit: m.PerUnit(base), Scope: costs.ScopeKind(m.Source)})
		v.MeasureOptions = append(v.MeasureOptions, templates.Option{Value: d, Label: "argo: " + units[d]})
	}
	for _, r := range t.SortedRates() {
		state, kind := rateState(t, r, now)
		v.Rates = append(v.Rates, templates.RateRowView{ID: strconv.FormatInt(r.ID, 10), Source: r.Source, Measure: r.Measure, Scope: r.Scope,
			Price: exact(r.Price), PerUnit: ratePerUnit(r, units), ValidFrom: r.ValidFrom.Format(costs.DateLayout), EnteredBy: r.CreatedByName,
			EnteredAt: templates.FormatTime(r.CreatedAt), State: state, StateKind: kind})
	}
	for _, f := range t.SortedFX() {
		state, kind := fxState(t, f, now)
		v.FX = append(v.FX, templates.FXRowView{ID: strconv.FormatInt(f.ID, 10), Currency: f.Currency, PerBase: exact(f.PerBase),
			Reads: "1 " + base + " = " + exact(f.PerBase) + " " + f.Currency, ValidFrom: f.ValidFrom.Format(costs.DateLayout),
			EnteredBy: f.CreatedByName, EnteredAt: templates.FormatTime(f.CreatedAt), State: state, StateKind: kind})
	}
	return render(c, status, templates.Rates(v))
}

// cardContext is what rates are checked against.
func (h *Handler) cardContext(c echo.Context) (costs.CardContext, error) {
	ctx := c.Request().Context()
	base := h.CostSettings.Base
	t, err := h.Costs.RateTable(ctx, base)
	if err != nil {
		return costs.CardContext{}, err
	}
	units, err := h.Costs.ArgoDefinitionNames(ctx)
	if err != nil {
		return costs.CardContext{}, err
	}
	defs := map[string]bool{}
	for d := range units {
		defs[d] = true
	}
	return costs.CardContext{Base: base, ArgoDefinitions: defs, StoredFX: t.FX}, nil
}

// changeText says what adding versions did to the ledger.
func changeText(ch costs.RateChange) string {
	if ch.Repriced == 0 {
		return "No ledger line changed."
	}
	return fmt.Sprintf("%d ledger lines priced again, from %s to %s.", ch.Repriced, ch.FirstDay.Format(costs.DateLayout), ch.LastDay.Format(costs.DateLayout))
}

// handleAddRate adds a rate version (admins).
func (h *Handler) handleAddRate(c echo.Context) error {
	u := user(c)
	f := templates.RateFormView{Source: c.FormValue("source"), Measure: strings.TrimSpace(c.FormValue("measure")), Scope: strings.TrimSpace(c.FormValue("scope")),
		Price: strings.TrimSpace(c.FormValue("price")), Currency: strings.ToUpper(strings.TrimSpace(c.FormValue("currency"))), ValidFrom: c.FormValue("valid_from")}
	cx, err := h.cardContext(c)
	if err != nil {
		return err
	}
	var p costs.Problems
	n, ok := costs.CheckRate(&p, "rate", f.Source, f.Measure, f.Scope, f.Price, f.Currency, f.ValidFrom, cx)
	if ok && n.Currency != cx.Base {
		if _, has := (&costs.Table{Base: cx.Base, FX: cx.StoredFX}).FXFor(n.Currency, n.ValidFrom); !has {
			p.List = append(p.List, fmt.Sprintf("rate.currency: %s has no exchange rate valid on %s; add one below first", n.Currency, f.ValidFrom))
			ok = false
		}
	}
	if !ok {
		return h.renderRates(c, http.StatusUnprocessableEntity, f, templates.FXFormView{ValidFrom: f.ValidFrom}, "The rate version", p.List)
	}
	ch, err := h.Costs.AddRate(c.Request().Context(), cx.Base, n, u.Subject, u.DisplayName())
	if err != nil {
		return err
	}
	return h.flashRedirect(c, fmt.Sprintf("Rate version %d added: %s %s in %s from %s. %s", ch.IDs[0], n.Source, n.Measure, n.Scope,
		n.ValidFrom.Format(costs.DateLayout), changeText(ch)), "/costs/rates")
}

// handleAddFX adds an FX version (admins).
func (h *Handler) handleAddFX(c echo.Context) error {
	u := user(c)
	f := templates.FXFormView{Currency: strings.ToUpper(strings.TrimSpace(c.FormValue("currency"))), PerBase: strings.TrimSpace(c.FormValue("per_base")),
		ValidFrom: c.FormValue("valid_from")}
	base := h.CostSettings.Base
	var p costs.Problems
	n, ok := costs.CheckFX(&p, "fx", f.Currency, f.PerBase, f.ValidFrom, base)
	if !ok {
		return h.renderRates(c, http.StatusUnprocessableEntity, templates.RateFormView{Source: portal.UpstreamVergeOS, Scope: costs.AnyScope, Currency: base,
			ValidFrom: f.ValidFrom}, f, "The exchange rate", p.List)
	}
	ch, err := h.Costs.AddFX(c.Request().Context(), base, n, u.Subject, u.DisplayName())
	if err != nil {
		return err
	}
	return h.flashRedirect(c, fmt.Sprintf("Exchange rate added: 1 %s = %s %s from %s. %s", base, n.PerBase, n.Currency,
		n.ValidFrom.Format(costs.DateLayout), changeText(ch)), "/costs/rates")
}

// handleCardExport downloads the whole rate card as JSON.
func (h *Handler) handleCardExport(c echo.Context) error {
	t, err := h.Costs.RateTable(c.Request().Context(), h.CostSettings.Base)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(costs.ExportCard(t), "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="rate-card.json"`)
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", append(b, '\n'))
}

// handleCardImport imports a rate card: a file upload (field "card") from
// the rate card page, or the JSON itself as the body with the CSRF token
// in the X-CSRF-Token header. The card is checked whole; with any problem
// nothing is stored and every problem is listed (the page at 422, or a
// JSON {"problems": [...]} for a JSON body).
func (h *Handler) handleCardImport(c echo.Context) error {
	u := user(c)
	body, isJSON, err := readCard(c)
	if err != nil {
		return err
	}
	cx, err := h.cardContext(c)
	if err != nil {
		return err
	}
	rates, fx, err := costs.ParseCard(body, cx)
	if err != nil {
		var p *costs.Problems
		if !errors.As(err, &p) {
			return err
		}
		if isJSON {
			return c.JSON(http.StatusUnprocessableEntity, map[string]any{"problems": p.List})
		}
		now := h.nowUTC()
		return h.renderRates(c, http.StatusUnprocessableEntity, templates.RateFormView{Source: portal.UpstreamVergeOS, Scope: costs.AnyScope,
			Currency: cx.Base, ValidFrom: costs.Day(now).Format(costs.DateLayout)}, templates.FXFormView{ValidFrom: costs.Day(now).Format(costs.DateLayout)},
			"The rate card", p.List)
	}
	ch, err := h.Costs.ImportCard(c.Request().Context(), cx.Base, rates, fx, u.Subject, u.DisplayName())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Rate card imported: %d rate versions and %d exchange rates added, %d already there. %s", ch.Rates, ch.FX, ch.Skipped, changeText(ch))
	if isJSON {
		return c.JSON(http.StatusOK, map[string]any{"message": msg, "rates_added": ch.Rates, "fx_added": ch.FX, "skipped": ch.Skipped, "repriced_lines": ch.Repriced})
	}
	return h.flashRedirect(c, msg, "/costs/rates")
}

// readCard returns the imported card's bytes, at most costs.MaxCardBytes.
func readCard(c echo.Context) ([]byte, bool, error) {
	r := c.Request()
	if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		b, err := io.ReadAll(io.LimitReader(r.Body, costs.MaxCardBytes+1))
		if err != nil {
			return nil, true, portal.Errorf(portal.EINVALID, "The rate card could not be read.")
		}
		if len(b) > costs.MaxCardBytes {
			return nil, true, portal.Errorf(portal.ETOOLARGE, "The rate card is larger than %d bytes.", costs.MaxCardBytes)
		}
		return b, true, nil
	}
	fh, err := c.FormFile("card")
	if err != nil {
		if text := c.FormValue("card"); text != "" {
			return []byte(text), false, nil
		}
		return nil, false, portal.Errorf(portal.EINVALID, "Choose a rate card file (JSON) to import.")
	}
	if fh.Size > costs.MaxCardBytes {
		return nil, false, portal.Errorf(portal.ETOOLARGE, "The rate card is larger than %d bytes.", costs.MaxCardBytes)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, false, fmt.Errorf("handlers: open rate card: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, costs.MaxCardBytes+1))
	return b, false, err
}
