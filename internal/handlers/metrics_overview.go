package handlers

import (
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// handleMetrics is the overview (and, at /metrics.csv, its CSV): totals
// per project, provider, metric definition and period.
func (h *Handler) handleMetrics(c echo.Context) error {
	ctx := c.Request().Context()
	mp, err := h.parseMetricParams(c, "90d")
	if err := keepPage(c, mp.Range, err); err != nil {
		return err
	}
	lp, err := parseList(c.QueryParams(), metrics.TotalSorts, "period", true)
	if err != nil {
		return err
	}
	q := metrics.TotalsQuery{Filter: mp.Filter, Granularity: mp.Granularity, Sort: lp.Sort, Desc: lp.Desc}
	if wantsCSV(c) {
		return h.metricTotalsCSV(c, q, mp)
	}
	q.Limit, q.Offset = lp.Size, lp.Offset()
	rows, total, err := h.Metrics.MetricTotals(ctx, q)
	if err != nil {
		return err
	}
	opts, err := h.Metrics.ArgoFilterOptions(ctx, mp.Filter.Scope)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Metrics", "metrics", portal.UpstreamArgo)
	if err != nil {
		return err
	}
	u := c.Request().URL
	v := templates.MetricsOverviewView{Page: p, Tabs: metricsTabs(p.User, "overview"), Range: timeRangeView(c, mp.Range),
		RangeNote: rangeNote(mp), Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c)}
	v.Filters = templates.MetricFiltersView{
		Projects:      h.keptOptions("project", mp.Filter.Scope, opts.Projects, mp.Filter.ProjectID),
		Providers:     h.keptOptions("provider", mp.Filter.Scope, opts.Providers, mp.Filter.ProviderID),
		Installations: h.keptOptions("installation", mp.Filter.Scope, opts.Installations, mp.Filter.InstallationID),
		Definitions:   h.keptOptions("definition", mp.Filter.Scope, opts.Definitions, mp.Filter.DefinitionID),
		Granularities: granularityOptions(mp.Granularity), ResetHref: "/metrics",
		Hidden: hiddenFields(u.Query(), "project", "provider", "installation", "definition", "granularity", "page"),
	}
	v.PeriodHead = map[string]string{metrics.Daily: "Day", metrics.Weekly: "Week", metrics.Monthly: "Month"}[mp.Granularity]
	v.Headers = []templates.SortHeader{
		sortHeader(c, lp, v.PeriodHead, "period", false), sortHeader(c, lp, "Project", "project", false),
		sortHeader(c, lp, "Provider", "provider", false), sortHeader(c, lp, "Metric", "definition", false),
		sortHeader(c, lp, "Installations", "installations", true), sortHeader(c, lp, "Metrics", "metrics", true),
		sortHeader(c, lp, "Total", "total", true), {Label: "Unit"}, {Label: "Added up as"},
	}
	projectHrefs := map[string]string{} // a page's rows name a few projects many times
	for _, r := range rows {
		href, ok := projectHrefs[r.ProjectID]
		if !ok {
			href = withQuery(u, "project", r.ProjectID, "page", "")
			projectHrefs[r.ProjectID] = href
		}
		v.Rows = append(v.Rows, totalRow(r, mp.Granularity, href))
	}
	if total == 0 {
		e, err := h.Metrics.MetricExtent(ctx, mp.Filter)
		if err != nil {
			return err
		}
		v.NoData = noData(mp.Range, e, "the metrics these filters select")
	}
	if err := h.overviewChart(c, &v, q, rows, opts); err != nil {
		return err
	}
	return render(c, mp.Range.Status(), templates.MetricsOverview(v))
}

func totalRow(r metrics.Total, g, projectHref string) templates.MetricTotalRow {
	return templates.MetricTotalRow{Period: templates.PeriodLabel(r.Period, g), PeriodStart: r.Period.Format("2006-01-02"),
		ProjectID: r.ProjectID, Project: r.ProjectName, ProjectHref: projectHref, ProviderID: r.ProviderID, Provider: r.ProviderName,
		DefinitionID: r.DefinitionID, Definition: r.DefinitionName, Unit: r.UnitType, MetricType: r.MetricType,
		Aggregation: metrics.Aggregation(r.MetricType), Installations: r.Installations, Metrics: r.Metrics,
		Total: templates.MetricNumber(templates.RoundMetric(r.Total))}
}

// maxSeries is the most series a chart draws; the rest are added up as "other".
const maxSeries = 6

// overviewChart draws one metric definition's totals over time, stacked
// by project (or provider, or installation, as the filters narrow down).
// Definitions differ in unit, so one chart shows one definition: the
// filtered one, the one chosen with ?chart=, or the first on the page.
func (h *Handler) overviewChart(c echo.Context, v *templates.MetricsOverviewView, q metrics.TotalsQuery, rows []metrics.Total, opts metrics.FilterOptions) error {
	names := map[string]string{}
	for _, o := range opts.Definitions {
		names[o.Value] = o.Label // "name (unit)": for a definition not on the page
	}
	var candidates []string
	seen := map[string]bool{}
	for _, r := range rows {
		names[r.DefinitionID] = r.DefinitionName
		if !seen[r.DefinitionID] {
			seen[r.DefinitionID] = true
			candidates = append(candidates, r.DefinitionID)
		}
	}
	sort.Slice(candidates, func(i, j int) bool { return names[candidates[i]] < names[candidates[j]] })
	key := q.DefinitionID
	if key == "" {
		key = c.QueryParam("chart")
	}
	if key == "" && len(candidates) > 0 {
		key = candidates[0]
	}
	if key == "" {
		return nil
	}
	if q.DefinitionID == "" {
		for _, d := range candidates {
			v.ChartLinks = append(v.ChartLinks, templates.PresetLink{Key: d, Label: names[d], Href: withQuery(c.Request().URL, "chart", d)})
		}
	}
	v.ChartKey = key
	by, byLabel := "project", "project"
	switch {
	case q.ProjectID != "" && q.ProviderID == "":
		by, byLabel = "provider", "provider"
	case q.ProjectID != "":
		by, byLabel = "installation", "installation"
	}
	q.DefinitionID, q.Limit, q.Offset = key, 0, 0
	pts, err := h.Metrics.MetricSeries(c.Request().Context(), q, by)
	if err != nil {
		return err
	}
	unit := ""
	if len(pts) > 0 {
		unit = pts[0].UnitType
	}
	// Periods of a definition that is not summed (averages, counts) are
	// averaged, not added up, if a long range is drawn in coarser buckets.
	mean := false
	for _, r := range rows {
		if r.DefinitionID == key {
			mean = metrics.Aggregation(r.MetricType) == "mean"
			break
		}
	}
	title, bar := names[key]+" per "+q.Granularity+", by "+byLabel, periodSpan(q.Granularity)
	spec := chartSpecKey(title, unit, bar, q.From, q.To, mean, maxSeries)
	v.Chart = h.charts.get(spec, pts, samePoint, func() *templates.ChartView {
		c := templates.BuildChart(templates.ChartSpec{
			Title: title, Unit: unit, Series: topSeries(pts, maxSeries),
			Bars: true, BarWidth: bar, From: q.From, To: q.To, Mean: mean,
		}).Kept()
		return &c
	})
	return nil
}

// topSeries turns points into chart series: the n-1 largest by total and
// one "other" series adding up the rest.
func topSeries(pts []metrics.PeriodValue, n int) []templates.TimeSeries {
	type agg struct {
		key, label string
		total      float64
		points     []templates.TimePoint
	}
	byKey := map[string]*agg{}
	var order []*agg
	for _, p := range pts {
		a := byKey[p.Key]
		if a == nil {
			a = &agg{key: p.Key, label: p.Label}
			byKey[p.Key] = a
			order = append(order, a)
		}
		a.total += p.Total
		a.points = append(a.points, templates.TimePoint{T: p.Period, V: p.Total})
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].total > order[j].total })
	var out []templates.TimeSeries
	other := map[int64]float64{}
	for i, a := range order {
		if i < n-1 || len(order) == n {
			out = append(out, templates.TimeSeries{Name: a.label, Points: a.points})
			continue
		}
		for _, p := range a.points {
			other[p.T.Unix()] += p.V
		}
	}
	if len(other) > 0 {
		s := templates.TimeSeries{Name: strconv.Itoa(len(order)-n+1) + " others"}
		for t, val := range other {
			s.Points = append(s.Points, templates.TimePoint{T: unixUTC(t), V: val})
		}
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].T.Before(s.Points[j].T) })
		out = append(out, s)
	}
	return out
}

// metricTotalsCSV streams the overview's totals: every row the filters
// select, in the table's order, one at a time.
func (h *Handler) metricTotalsCSV(c echo.Context, q metrics.TotalsQuery, mp metricParams) error {
	totalHead := "total"
	if q.DefinitionID != "" {
		// One definition: one unit for the whole column.
		if d, err := h.Metrics.ArgoDefinition(c.Request().Context(), q.DefinitionID); err == nil {
			totalHead = "total (" + d.UnitType + ")"
		}
	}
	w, err := streamCSV(c, csvFilename("metric-totals-per-"+mp.Granularity, mp.Range), []string{
		"period", "period_start_utc", "granularity", "project", "argo_project_id", "project_key", "provider", "provider_id",
		"metric_definition", "metric_definition_id", "unit", "metric_type", "aggregation", "installations", "metrics", totalHead})
	if err != nil {
		return err
	}
	return w.finish(h.Metrics.EachMetricTotal(c.Request().Context(), q, func(r metrics.Total) error {
		return w.row([]string{templates.PeriodLabel(r.Period, mp.Granularity), csvTime(r.Period), mp.Granularity,
			r.ProjectName, r.ProjectID, r.ProjectKey, r.ProviderName, r.ProviderID, r.DefinitionName, r.DefinitionID,
			r.UnitType, r.MetricType, metrics.Aggregation(r.MetricType), strconv.FormatInt(r.Installations, 10),
			strconv.FormatInt(r.Metrics, 10), csvNumber(templates.RoundMetric(r.Total))})
	}))
}
