package handlers

import (
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

// maxSpendRows is the most rows of daily spend a project page lists.
const maxSpendRows = 500

var jobTypes = []string{"oneshot", "longrun", "storage"}

// budgetProject returns the project of the URL, ENOTFOUND when it is not
// one of the user's (checked in SQL, by the scope).
func (h *Handler) budgetProject(c echo.Context) (*budgets.ProjectDetail, error) {
	return h.Budgets.BudgetProjectByKey(c.Request().Context(), user(c).Scope(), c.Param("key"), h.nowUTC())
}

// parseJobFilter reads the jobs table's range, type, sort and page.
func parseJobFilter(q url.Values, now time.Time) (budgets.JobFilter, TimeRange, ListParams, error) {
	tr, rangeErr := parseTimeRange(q, now, "30d")
	if tr.Invalid == nil && rangeErr != nil {
		return budgets.JobFilter{}, tr, ListParams{}, rangeErr
	}
	lp, err := parseList(q, budgets.JobSorts, "finished", true)
	if err != nil {
		return budgets.JobFilter{}, tr, lp, err
	}
	typ := q.Get("type")
	if typ != "" && !slices.Contains(jobTypes, typ) {
		return budgets.JobFilter{}, tr, lp, portal.Errorf(portal.EINVALID, "type: %q is not one of %s", typ, strings.Join(jobTypes, ", "))
	}
	// A custom range that could not be used comes last, with the default
	// range's filter, so a page can draw that and mark the dates.
	return budgets.JobFilter{From: tr.From, To: tr.To, Type: typ, Sort: lp.Sort, Desc: lp.Desc, Limit: lp.Size, Offset: lp.Offset()}, tr, lp, rangeErr
}

func (h *Handler) handleBudgetProject(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.budgetProject(c)
	if err != nil {
		return err
	}
	now := h.nowUTC()
	f, tr, lp, err := parseJobFilter(c.QueryParams(), now)
	if err := keepPage(c, tr, err); err != nil {
		return err
	}
	jobs, total, err := h.Budgets.BudgetJobs(ctx, d.ProjID, f)
	if err != nil {
		return err
	}
	spend, err := h.Budgets.BudgetDailySpend(ctx, d.ProjID, tr.From, tr.To)
	if err != nil {
		return err
	}
	chart, note, err := h.balanceChart(ctx, d, tr, spend)
	if err != nil {
		return err
	}
	p, err := h.page(c, d.Name+" budget", "budgets", portal.UpstreamOBI)
	if err != nil {
		return err
	}
	v := projectView(c, p, d, now)
	var jobsAt portal.Extent
	if len(spend) == 0 {
		if jobsAt, err = h.Budgets.BudgetJobExtent(ctx, d.ProjID); err != nil {
			return err
		}
	}
	v.BalanceChart, v.BalanceNote, v.SpendChart = chart, note, spendChart(spend, tr, jobsAt)
	v.Range, v.Type = timeRangeView(c, tr), f.Type
	base := "/budgets/projects/" + url.PathEscape(d.Key)
	q := c.Request().URL.Query()
	q.Del("page")
	v.JobsCSV = base + "/jobs.csv?" + q.Encode()
	rangeQ := url.Values{}
	for _, k := range []string{"range", "from", "to"} {
		if q.Get(k) != "" {
			rangeQ.Set(k, q.Get(k))
		}
	}
	v.SpendCSV, v.BalancesHref = base+"/spend.csv?"+rangeQ.Encode(), base+"/balances?"+rangeQ.Encode()
	v.BalancesCSV, v.DiscountsCSV = base+"/balances.csv?"+rangeQ.Encode(), base+"/discounts.csv"
	for _, t := range append([]string{""}, jobTypes...) {
		label := t
		if t == "" {
			label = "all types"
		}
		v.Types = append(v.Types, templates.PresetLink{Key: t, Label: label, Href: withQuery(c.Request().URL, "type", t, "page", "")})
	}
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"Started", "started", true}, {"Finished", "finished", true}, {"Type", "type", false}, {"Subtype", "subtype", false},
		{"Status", "status", false}, {"Name", "", false}, {"Duration", "duration", true}, {"Usage", "", false},
		{"Cost (credits)", "cost", true}, {"Reserved (credits)", "reserved", true}} {
		v.JobHeaders = append(v.JobHeaders, sortHeader(c, lp, col.label, col.key, col.num))
	}
	v.JobsTotal, v.JobsPager = total, pager(c, lp, total)
	for _, j := range jobs {
		v.Jobs = append(v.Jobs, jobRow(j))
	}
	// The page's table shows the newest rows; the CSV twin streams them all.
	v.SpendTotal = len(spend)
	v.Spend = spendRows(spend[max(0, len(spend)-maxSpendRows):])
	return render(c, tr.Status(), templates.BudgetProject(v))
}

// projectView fills the project's facts, forecast, discounts and actions.
func projectView(c echo.Context, p templates.Page, d *budgets.ProjectDetail, now time.Time) templates.BudgetProjectView {
	f := d.Forecast(now)
	r := budgetRow{Project: d.Project, f: f}
	kind, text := r.status()
	v := templates.BudgetProjectView{Page: p, Key: d.Key, Name: d.Name, Lab: d.LabName, ProjID: d.ProjID,
		Balance: creditsOr(d.Balance, d.HasBalance), Reserved: creditsOr(d.Reservation, d.HasBalance), LabBalance: creditsOr(d.LabBalance, d.LabHasBalance),
		Spend7: credits(d.Spend7), Spend30: credits(d.Spend30), Burn7: credits(f.Burn7), Burn30: credits(f.Burn30),
		RunOut7: runOutText(f.RunOut7, now), RunOut30: runOutText(f.RunOut30, now), StatusKind: kind, Status: text,
		FirstSnapshot: d.FirstSnapshot, LastSnapshot: d.LastSnapshot, Now: now}
	if !d.HasBalance {
		v.RunOut7, v.RunOut30 = "—", "—"
	}
	for _, ds := range d.Discounts {
		row := templates.DiscountRow{ID: ds.ID, Discount: discountPercent(ds.Discount), From: templates.FormatTime(ds.ValidFrom),
			To: "open-ended", InForce: ds.Current}
		if !ds.ValidTo.IsZero() {
			row.To = templates.FormatTime(ds.ValidTo)
		}
		if ds.Current {
			v.Discount = discountText(ds)
		}
		v.Discounts = append(v.Discounts, row)
	}
	if user(c).CanManage(d.Key) {
		k := url.QueryEscape(d.Key)
		v.RequestLinks = []templates.PresetLink{
			{Label: "Ask for credits from the lab", Href: "/requests/new?kind=assign&project=" + k},
			{Label: "Return credits to the lab", Href: "/requests/new?kind=reverse&project=" + k},
			{Label: "Move credits to another project", Href: "/requests/new?kind=move&project=" + k},
			{Label: "Top up the lab", Href: "/requests/new?kind=top-up&vlab=" + url.QueryEscape(d.VlabID)},
		}
	}
	return v
}

// discountPercent is a fraction as a percentage: 0.15 → "15 %".
func discountPercent(d decimal.Decimal) string {
	s := d.Mul(decimal.NewFromInt(100)).String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " %"
}

func jobRow(j budgets.Job) templates.JobRow {
	r := templates.JobRow{ID: j.ID, Started: templates.FormatTime(j.StartedAt), Finished: templates.FormatTime(j.FinishedAt),
		Type: j.Type, Subtype: j.Subtype, Status: j.Status, Name: j.Name, Duration: seconds(j.Duration),
		Cost: credits(j.Amount), CostExact: j.Amount.String(), Reserved: "—"}
	if j.Status == budgets.JobExpired {
		r.StatusKind = "warn"
	}
	if j.HasReservation {
		r.Reserved = credits(j.ReservedAmount)
	}
	switch j.Type {
	case "oneshot":
		r.Usage, r.Duration = strconv.FormatInt(j.Count, 10)+" units", "—"
	case "longrun":
		r.Usage = "reserved " + seconds(j.ReservedDuration)
	case "storage":
		r.Usage = bytesText(j.Size)
	}
	return r
}

// seconds prints a duration in seconds as e.g. "2h 5m".
func seconds(s int64) string {
	d := time.Duration(s) * time.Second
	switch {
	case d >= time.Hour:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h " + strconv.FormatInt(int64(d%time.Hour/time.Minute), 10) + "m"
	case d >= time.Minute:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m " + strconv.FormatInt(int64(d%time.Minute/time.Second), 10) + "s"
	}
	return strconv.FormatInt(s, 10) + "s"
}

// bytesText prints a size in decimal units (GB = 10^9 bytes).
func bytesText(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	i, v := 0, n
	for v >= 10000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return templates.Int(v) + " " + units[i]
}

func spendRows(spend []budgets.DailySpend) []templates.SpendRow {
	var out []templates.SpendRow
	for _, s := range spend {
		out = append(out, templates.SpendRow{Day: templates.FormatDate(s.Day), Type: s.Type, Jobs: s.Jobs, Cost: credits(s.Amount)})
	}
	return out
}
