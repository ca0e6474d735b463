package handlers

import (
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
	"github.com/accounting-portal/portal/web/templates"
)

// usageStatusQuery reads the status page's filters from the query string.
func (h *Handler) usageStatusQuery(c echo.Context) (usage.StatusFilter, ListParams, TimeRange, []string, error) {
	q := c.QueryParams()
	lp, err := parseList(q, usage.StatusSorts, "day", true)
	if err != nil {
		return usage.StatusFilter{}, lp, TimeRange{}, nil, err
	}
	tr, rangeErr := parseTimeRange(q, h.nowUTC(), "30d")
	if tr.Invalid == nil && rangeErr != nil {
		return usage.StatusFilter{}, lp, tr, nil, rangeErr
	}
	resources, err := h.Usage.AMIEResources(c.Request().Context())
	if err != nil {
		return usage.StatusFilter{}, lp, tr, nil, err
	}
	res := q.Get("resource")
	if res != "" && !slices.Contains(resources, res) {
		return usage.StatusFilter{}, lp, tr, nil, portal.Errorf(portal.EINVALID, "resource: %q is not a resource AMIE has reported", res)
	}
	return usage.StatusFilter{From: tr.From, To: tr.To, Resource: res, Sort: lp.Sort, Desc: lp.Desc, Limit: lp.Size, Offset: lp.Offset()},
		lp, tr, resources, rangeErr
}

// handleUsageStatus shows the processing status per resource and day (or
// its CSV twin). Every signed-in person sees it: the counts are per
// resource and name no project, user or record.
func (h *Handler) handleUsageStatus(c echo.Context) error {
	ctx := c.Request().Context()
	f, lp, tr, resources, err := h.usageStatusQuery(c)
	if err := keepPage(c, tr, err); err != nil {
		return err
	}
	if wantsCSV(c) {
		return h.usageStatusCSV(c, f, tr)
	}
	rows, total, err := h.Usage.ListUsageStatus(ctx, f)
	if err != nil {
		return err
	}
	sum, err := h.Usage.UsageStatusSummary(ctx, f)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Usage", "usage", portal.UpstreamAMIE)
	if err != nil {
		return err
	}
	u := user(c)
	v := templates.UsageStatusView{Page: p, Range: timeRangeView(c, tr), Resource: f.Resource, Resources: resources,
		Hidden: hiddenFields(c.QueryParams(), "resource", "page"), Loaded: sum.Loaded, Failed: sum.Failed, Charge: sum.Charge,
		Reporting: sum.Resources, Chart: h.usageChart(sum, tr), Pager: pager(c, lp, total), Total: total,
		CSVHref: csvHref(c), FailedHref: usageFailedHref(f.Resource), CanUpload: u.IsManager(), IsAdmin: u.Admin}
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"Day (UTC)", "day", false}, {"Resource", "resource", false}, {"Loaded records", "loaded", true},
		{"Failed records", "failed", true}, {"Total charge (allocation units)", "charge", true}} {
		v.Headers = append(v.Headers, sortHeader(c, lp, col.label, col.key, col.num))
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, templates.UsageStatusRow{Day: r.Day, Resource: r.Resource, Loaded: r.Loaded, Failed: r.Failed, Charge: r.TotalCharge})
	}
	if total == 0 {
		e, err := h.Usage.UsageStatusExtent(ctx, f.Resource)
		if err != nil {
			return err
		}
		what := "AMIE's daily status records"
		if f.Resource != "" {
			what += " of " + f.Resource
		}
		v.NoData = noData(tr, e, what)
	}
	return render(c, tr.Status(), templates.UsageStatus(v))
}

func usageFailedHref(resource string) string {
	if resource == "" {
		return "/usage/failed"
	}
	return pathWithQuery("/usage/failed", "resource", resource)
}

// usageStatusChart draws loaded and failed records per day as stacked bars.
// usageChart is the status chart, kept rendered by its days and range
// (kept_parts.go): the days change only with an AMIE sync.
func (h *Handler) usageChart(sum usage.StatusSummary, tr TimeRange) templates.ChartView {
	spec := usageStatusChart(sum, tr)
	key := spec.From.Format(time.RFC3339) + "\x00" + spec.To.Format(time.RFC3339)
	return h.usageCharts.get(key, sum.Days, sameStatusDay, func() templates.ChartView { return templates.BuildChart(spec).Kept() })
}

func usageStatusChart(sum usage.StatusSummary, tr TimeRange) templates.ChartSpec {
	loaded := templates.TimeSeries{Name: "Loaded"}
	failed := templates.TimeSeries{Name: "Failed"}
	for _, d := range sum.Days {
		loaded.Points = append(loaded.Points, templates.TimePoint{T: d.Day, V: float64(d.Loaded)})
		failed.Points = append(failed.Points, templates.TimePoint{T: d.Day, V: float64(d.Failed)})
	}
	return templates.ChartSpec{Title: "Records processed per day", Unit: "records", Bars: true, BarWidth: 24 * time.Hour,
		Series: []templates.TimeSeries{loaded, failed},
		From:   usage.DayStart(tr.From), To: usage.DayStart(tr.To.Add(-time.Nanosecond))}
}

// usageStatusCSV streams the status table with the page's filters.
func (h *Handler) usageStatusCSV(c echo.Context, f usage.StatusFilter, tr TimeRange) error {
	name := "usage_status"
	if f.Resource != "" {
		name += "_" + f.Resource
	}
	w, err := streamCSV(c, csvFilename(name, tr), []string{"day_utc", "resource", "loaded_records", "failed_records", "total_charge_allocation_units"})
	if err != nil {
		return err
	}
	return w.finish(h.Usage.EachUsageStatus(c.Request().Context(), f, func(r usage.StatusDay) error {
		return w.row([]string{usage.FormatDay(r.Day), r.Resource, strconv.FormatInt(r.Loaded, 10), strconv.FormatInt(r.Failed, 10), r.TotalCharge})
	}))
}
