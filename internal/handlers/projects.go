package handlers

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
	"github.com/accounting-portal/portal/web/templates"
)

// maxAMIERows is the most records a project page lists.
const maxAMIERows = 100

// handleProjects lists the user's projects with this month's cost (and,
// at .csv, its CSV).
func (h *Handler) handleProjects(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	now := h.nowUTC()
	month := costs.Month(now)
	refs, err := h.Costs.CostProjects(ctx, u.Scope())
	if err != nil {
		return err
	}
	pcs, err := h.Costs.CostsByProject(ctx, u.Scope(), month)
	if err != nil {
		return err
	}
	byKey := map[string]costs.ProjectCosts{}
	for _, pc := range pcs {
		byKey[pc.Project] = pc
	}
	base := h.CostSettings.Base
	if wantsCSV(c) {
		w, err := streamCSV(c, "projects-"+month.Format("2006-01")+".csv", []string{"project_key", "project", "vergeos_tenant",
			"month", "cost_" + base, "unpriced_lines"})
		if err != nil {
			return err
		}
		for _, r := range refs {
			pc := byKey[r.Key]
			if err := w.row([]string{r.Key, r.Name, r.Tenant, month.Format("2006-01"), money(pc.Total), strconv.Itoa(pc.UnpricedLines)}); err != nil {
				return w.finish(err)
			}
		}
		return w.finish(nil)
	}
	p, err := h.page(c, "Projects", "projects")
	if err != nil {
		return err
	}
	v := templates.ProjectsView{Page: p, CSVHref: csvHref(c), Month: monthLabel(month), Base: base}
	for _, r := range refs {
		pc := byKey[r.Key]
		v.Rows = append(v.Rows, templates.ProjectRowView{Key: r.Key, Name: r.Name, Href: projectHref(r.Key, time.Time{}), Tenant: r.Tenant,
			Cost: money(pc.Total), Unpriced: pc.UnpricedLines, StatementHref: statementHref(r.Key, month, "")})
	}
	return render(c, http.StatusOK, templates.Projects(v))
}

// handleProject is one project across all sources for a month; its CSV
// twin (/projects/<key>.csv) is the month's ledger lines.
func (h *Handler) handleProject(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	now := h.nowUTC()
	key := c.Param("key")
	ref, err := h.Costs.CostProject(ctx, u.Scope(), key)
	if pe, ok := err.(*portal.Error); ok && pe.Code == portal.ENOTFOUND && strings.HasSuffix(key, ".csv") {
		// A project key may hold dots, so a project named like a CSV wins.
		return h.handleLedgerCSV(c, strings.TrimSuffix(key, ".csv"))
	}
	if err != nil {
		return err
	}
	month, err := parseMonthParam(c.QueryParam("month"), now)
	if err != nil {
		return err
	}
	from, to := month, month.AddDate(0, 1, 0)
	base := h.CostSettings.Base
	notes, fs, err := h.sourceNotes(c, portal.Upstreams...)
	if err != nil {
		return err
	}
	p, err := h.page(c, ref.Name, "projects")
	if err != nil {
		return err
	}
	p.Sources = fs
	v := templates.ProjectView{Page: p, Key: ref.Key, Name: ref.Name, Month: monthLabel(month), MonthValue: month.Format("2006-01"),
		PrevHref: projectHref(ref.Key, month.AddDate(0, -1, 0)), NextHref: projectHref(ref.Key, month.AddDate(0, 1, 0)), Base: base,
		StatementHref: statementHref(ref.Key, month, ""), StatementCSV: statementHref(ref.Key, month, ".csv"),
		StatementJSON: statementHref(ref.Key, month, ".json"),
		LedgerCSV:     csvHref(c)}
	if ref.OBIID != "" {
		v.Links = append(v.Links, templates.Link{Label: "Budget (OBI)", Href: "/budgets/projects/" + url.PathEscape(ref.Key)})
	}
	v.Links = append(v.Links, templates.Link{Label: "Metrics (ARGO)", Href: pathWithQuery("/metrics", "project", ref.ArgoID)},
		templates.Link{Label: "Failed usage records (AMIE)", Href: pathWithQuery("/usage/failed", "project", ref.AMIEID)},
		templates.Link{Label: "Billing (VergeOS, system-wide)", Href: "/billing"})

	// OBI
	obi, err := h.Costs.ProjectOBI(ctx, ref.OBIID, from, to, now)
	if err != nil {
		return err
	}
	v.OBI = templates.ProjectOBIView{Note: notes[portal.UpstreamOBI], Configured: ref.OBIID != "", Known: obi.Known, ProjID: ref.OBIID,
		Lab: ref.LabName, Balance: creditsOr(obi.Balance, obi.Known), Reserved: creditsOr(obi.Reservation, obi.Known),
		Spent: credits(obi.Spent), Jobs: strconv.FormatInt(obi.Jobs, 10), Burn: credits(obi.Burn), RunOut: "—",
		Href: "/budgets/projects/" + url.PathEscape(ref.Key)}
	if !obi.RunOut.IsZero() {
		v.OBI.RunOut = templates.FormatDate(obi.RunOut)
	} else if obi.Known && obi.Burn.IsZero() {
		v.OBI.RunOut = "no spend"
	}

	// ARGO
	totals, err := h.Costs.ProjectArgoTotals(ctx, ref.ArgoID, from, to)
	if err != nil {
		return err
	}
	v.Argo = templates.ProjectArgoView{Note: notes[portal.UpstreamArgo], ID: ref.ArgoID, Href: pathWithQuery("/metrics", "project", ref.ArgoID)}
	for _, t := range totals {
		how := "average per installation, added"
		if t.MetricType == "aggregated" {
			how = "sum"
		}
		v.Argo.Rows = append(v.Argo.Rows, templates.ArgoTotalView{Definition: t.Definition, Total: quantity(t.Total), Unit: t.Unit,
			How: how + " (" + t.MetricType + ")", Installations: t.Installations, Metrics: t.Metrics})
	}

	// AMIE
	recs, counts, err := h.Costs.ProjectAMIERecords(ctx, ref.AMIEID, from, to, maxAMIERows)
	if err != nil {
		return err
	}
	v.AMIE = templates.ProjectAMIEView{Note: notes[portal.UpstreamAMIE], ID: ref.AMIEID, Shown: len(recs), Href: pathWithQuery("/usage/failed", "project", ref.AMIEID)}
	states := make([]string, 0, len(counts))
	for s, n := range counts {
		states = append(states, s)
		v.AMIE.Total += n
	}
	sort.Strings(states)
	for _, s := range states {
		v.AMIE.Counts = append(v.AMIE.Counts, templates.Link{Label: s + ": " + strconv.Itoa(counts[s])})
	}
	for _, r := range recs {
		state := cache.AMIEState(r)
		why := r.Failed
		if why == "" {
			why = r.Error
		}
		kind := "ok"
		switch state {
		case "failed", usage.RecordRefused, usage.RecordNotSent:
			kind = "bad"
		case usage.RecordPending:
			kind = "warn"
		}
		v.AMIE.Rows = append(v.AMIE.Rows, templates.AMIERecordView{RecordID: r.LocalRecordID, Resource: r.Resource, Type: r.UsageType,
			Start: templates.FormatTime(r.Start), Charge: exact(r.Charge), State: state, StateKind: kind, Why: why,
			UploadHref: "/usage/uploads/" + strconv.FormatInt(r.Upload, 10)})
	}

	// The ledger: costs per source, and the tenant's usage.
	_, lines, err := h.Costs.LedgerLines(ctx, u.Scope(), ref.Key, from, to)
	if err != nil {
		return err
	}
	// What the statement charges, so both show the same figures.
	st := costs.BuildStatement(ref.Key, ref.Name, month, base, lines)
	bySource := map[string]decimal.Decimal{}
	for _, t := range st.Totals {
		bySource[t.Source] = t.Total
	}
	unpriced := map[string]int{}
	vergeosQty := map[string]decimal.Decimal{}
	units := map[string]string{}
	for _, l := range lines {
		if l.Source == portal.UpstreamVergeOS {
			vergeosQty[l.Measure] = vergeosQty[l.Measure].Add(l.Quantity)
			units[l.Measure] = l.Unit
		}
		if !l.Priced() {
			unpriced[l.Source]++
			v.UnpricedLines++
		}
	}
	for _, s := range costs.Sources {
		v.Costs = append(v.Costs, templates.SourceCostView{Source: s, Title: costs.SourceTitle(s), Amount: money(bySource[s]), Unpriced: unpriced[s]})
	}
	v.CostTotal = money(st.Total)
	if len(lines) == 0 {
		v.LedgerNote = "No usage of this project in this month is in the ledger yet: it is brought up to date after each upstream's sync."
	}

	// VergeOS
	v.VergeOS = templates.ProjectVergeOSView{Note: notes[portal.UpstreamVergeOS], Tenant: ref.Tenant, Seen: ref.TenantKey > 0,
		TenantKey: strconv.FormatInt(ref.TenantKey, 10)}
	if ref.TenantKey > 0 {
		r, ok, cur, err := h.Costs.TenantLatest(ctx, ref.TenantKey, costs.HistoryShort)
		if err != nil {
			return err
		}
		if ok {
			var used int64
			for _, t := range r.Tiers {
				used += t.Used
			}
			v.VergeOS.LatestAt = templates.FormatTime(time.Unix(r.Timestamp, 0))
			v.VergeOS.Latest = []templates.Link{
				{Label: "CPU", Href: strconv.FormatInt(r.TotalCPU, 10) + "% of " + strconv.FormatInt(r.CoreCount, 10) + " cores"},
				{Label: "RAM", Href: gb(r.RAMUsed*1<<20) + " of " + gb(r.RAMAllocated*1<<20) + " GB"},
				{Label: "Storage used", Href: gb(used) + " GB"},
				{Label: "GPUs and vGPUs", Href: strconv.FormatInt(r.GPUsUsed, 10) + " of " + strconv.FormatInt(r.GPUsTotal, 10) + " GPUs, " +
					strconv.FormatInt(r.VGPUsUsed, 10) + " of " + strconv.FormatInt(r.VGPUsTotal, 10) + " vGPUs"},
			}
		}
		if !cur.ReadAt.IsZero() {
			v.VergeOS.Latest = append(v.VergeOS.Latest, templates.Link{Label: "RAM now (tenant_stats)",
				Href: gb(cur.RAMUsed*1<<20) + " GB at " + templates.FormatTime(cur.LastUpdate)})
		}
	}
	for _, m := range costs.FixedMeasures() {
		if q, ok := vergeosQty[m.Name]; ok && m.Source == portal.UpstreamVergeOS {
			v.VergeOS.Usage = append(v.VergeOS.Usage, templates.UsageTotalView{Measure: m.Name, Title: m.Title, Quantity: quantity(q), Unit: units[m.Name]})
		}
	}

	// Budgets whose period holds the month.
	bs, err := h.Costs.Budgets(ctx, u.Scope(), ref.Key)
	if err != nil {
		return err
	}
	if v.Budgets, err = h.budgetRows(ctx, currentBudgets(bs, month), map[string]string{ref.Key: ref.Name}, now); err != nil {
		return err
	}
	if u.Admin {
		v.CanSetBudget = true
		v.BudgetForm = h.budgetForm(c, []costs.ProjectRef{*ref}, ref.Key, "project", month)
		v.BudgetForm.CSRF = p.CSRF
	}
	return render(c, http.StatusOK, templates.ProjectPage(v))
}

// gb writes bytes as GB (2^30 bytes, as VergeOS counts them), one decimal.
func gb(bytes int64) string {
	d, _ := decimal.NewFromInt(bytes).DivRound(decimal.NewFromInt(1<<30), 1)
	return d.String()
}

// handleLedgerCSV streams a project's ledger lines of a month (?month=).
func (h *Handler) handleLedgerCSV(c echo.Context, key string) error {
	ctx := c.Request().Context()
	u := user(c)
	month, err := parseMonthParam(c.QueryParam("month"), h.nowUTC())
	if err != nil {
		return err
	}
	_, lines, err := h.Costs.LedgerLines(ctx, u.Scope(), key, month, month.AddDate(0, 1, 0))
	if err != nil {
		return err
	}
	base := h.CostSettings.Base
	w, err := streamCSV(c, "ledger-"+key+"-"+month.Format("2006-01")+".csv", []string{"day", "project_key", "source", "measure", "scope",
		"quantity", "quantity_unit", "origin", "rate_version", "price", "price_unit", "currency", "amount_in_currency",
		"fx_version", "fx_currency_per_" + base, "amount_" + base, "unpriced_reason"})
	if err != nil {
		return err
	}
	for _, l := range lines {
		row := []string{l.Day.Format(costs.DateLayout), l.Project, l.Source, l.Measure, l.Scope, exact(l.Quantity), l.Unit, l.Origin}
		if l.Priced() {
			row = append(row, strconv.FormatInt(l.RateID, 10), exact(l.Price), costs.PerUnit(l.Source, l.Measure, l.Unit, l.Currency), l.Currency,
				exact(l.Amount), strconv.FormatInt(l.FXID, 10), exact(l.FXRate), exact(l.AmountBase), "")
		} else {
			row = append(row, "", "", "", "", "", "", "", "", l.Unpriced)
		}
		if err := w.row(row); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}
