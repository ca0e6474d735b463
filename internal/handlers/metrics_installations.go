package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

func installationHref(id string) string { return "/metrics/installations/" + url.PathEscape(id) }

func installationFacts(r metrics.InstallationRow) templates.InstallationFacts {
	f := templates.InstallationFacts{ID: r.ID, Name: r.Name, ProjectID: r.ProjectID, Project: r.ProjectName, ProjectKey: r.ProjectKey,
		ProviderID: r.ProviderID, Provider: r.ProviderName, Infrastructure: r.Infrastructure, Resource: r.Resource, External: r.External,
		Metrics: r.Metrics, First: r.First, Last: r.Last}
	if f.Name == "" {
		f.Name = r.ID
	}
	switch {
	case r.UnitOfAccessName != "":
		f.UnitOfAccess = r.UnitOfAccessName + " (" + r.UnitOfAccessUnit + ")"
	case r.UnitOfAccess != "":
		f.UnitOfAccess = r.UnitOfAccess
	}
	return f
}

// handleMetricInstallations lists the installations in scope (and, at
// /metrics/installations.csv, its CSV).
func (h *Handler) handleMetricInstallations(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	lp, err := parseList(q, metrics.InstallationSorts, "installation", false)
	if err != nil {
		return err
	}
	u := user(c)
	iq := metrics.InstallationQuery{Scope: u.Scope(), ProjectID: q.Get("project"), ProviderID: q.Get("provider"), Sort: lp.Sort, Desc: lp.Desc}
	if wantsCSV(c) {
		return h.installationsCSV(c, iq)
	}
	iq.Limit, iq.Offset = lp.Size, lp.Offset()
	rows, total, err := h.Metrics.ArgoInstallations(ctx, iq)
	if err != nil {
		return err
	}
	opts, err := h.Metrics.ArgoFilterOptions(ctx, iq.Scope)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Installations", "metrics", portal.UpstreamArgo)
	if err != nil {
		return err
	}
	v := templates.MetricsInstallationsView{Page: p, Tabs: metricsTabs(u, "installations"), Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c)}
	v.Filters = templates.MetricFiltersView{Projects: h.keptOptions("project", iq.Scope, opts.Projects, iq.ProjectID),
		Providers: h.keptOptions("provider", iq.Scope, opts.Providers, iq.ProviderID),
		ResetHref: "/metrics/installations", Hidden: hiddenFields(q, "project", "provider", "page")}
	v.Headers = []templates.SortHeader{
		sortHeader(c, lp, "Installation", "installation", false), sortHeader(c, lp, "Project", "project", false),
		sortHeader(c, lp, "Provider", "provider", false), sortHeader(c, lp, "Infrastructure", "infrastructure", false),
		sortHeader(c, lp, "Resource", "resource", false), {Label: "Unit of access"},
		sortHeader(c, lp, "Metrics", "metrics", true), sortHeader(c, lp, "Newest period", "last", true),
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, templates.InstallationRowView{InstallationFacts: installationFacts(r), Href: installationHref(r.ID)})
	}
	return render(c, http.StatusOK, templates.MetricsInstallations(v))
}

func (h *Handler) installationsCSV(c echo.Context, q metrics.InstallationQuery) error {
	w, err := streamCSV(c, "argo-installations.csv", []string{"installation", "argo_installation_id", "project", "argo_project_id", "project_key",
		"provider", "provider_id", "infrastructure", "resource", "external_id", "unit_of_access", "metrics", "first_period_start_utc", "last_period_start_utc"})
	if err != nil {
		return err
	}
	return w.finish(h.Metrics.EachArgoInstallation(c.Request().Context(), q, func(r metrics.InstallationRow) error {
		f := installationFacts(r)
		return w.row([]string{f.Name, r.ID, f.Project, r.ProjectID, r.ProjectKey, f.Provider, r.ProviderID, r.Infrastructure, r.Resource,
			r.External, f.UnitOfAccess, strconv.FormatInt(r.Metrics, 10), csvTime(r.First), csvTime(r.Last)})
	}))
}

// handleMetricInstallation is one installation's page (and, with ".csv"
// after the id, the CSV of its metrics). An installation outside the
// user's projects is not found, whatever its id.
func (h *Handler) handleMetricInstallation(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	id := strings.TrimSuffix(c.Param("id"), ".csv")
	in, err := h.Metrics.ArgoInstallation(ctx, id, u.Scope())
	if err != nil {
		return err
	}
	mp, err := h.parseMetricParams(c, "90d")
	if err := keepPage(c, mp.Range, err); err != nil {
		return err
	}
	mp.Filter.InstallationID, mp.Filter.ProjectID, mp.Filter.ProviderID = id, "", ""
	lp, err := parseList(c.QueryParams(), metrics.ListSorts, "start", true)
	if err != nil {
		return err
	}
	lq := metrics.ListQuery{Filter: mp.Filter, Sort: lp.Sort, Desc: lp.Desc}
	if wantsCSV(c) {
		return h.installationMetricsCSV(c, lq, *in, mp)
	}
	lq.Limit, lq.Offset = lp.Size, lp.Offset()
	rows, total, err := h.Metrics.ArgoMetrics(ctx, lq)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Installation "+installationFacts(*in).Name, "metrics", portal.UpstreamArgo)
	if err != nil {
		return err
	}
	v := templates.MetricsInstallationView{Page: p, Tabs: metricsTabs(u, "installations"), Inst: installationFacts(*in),
		Range: timeRangeView(c, mp.Range), RangeNote: rangeNote(mp), Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c)}
	if u.IsManager() {
		ok, err := h.Metrics.ArgoInstallationInScope(ctx, id, u.ManageScope())
		if err != nil {
			return err
		}
		if ok {
			v.PushHref = installationHref(id) + "/push"
		}
	}
	if err := h.installationFilters(c, &v, mp); err != nil {
		return err
	}
	v.Headers = []templates.SortHeader{
		sortHeader(c, lp, "Start", "start", true), sortHeader(c, lp, "End", "end", true), sortHeader(c, lp, "Metric", "definition", false),
		sortHeader(c, lp, "Value", "value", true), {Label: "Unit"}, sortHeader(c, lp, "User", "user", false),
		sortHeader(c, lp, "Group", "group", false), {Label: "ARGO id"},
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, templates.MetricRowView{ID: r.ID, Start: r.Start, End: r.End, Definition: r.DefinitionName, Unit: r.UnitType,
			Value: templates.MetricNumber(r.Value), UserID: r.UserID, GroupID: r.GroupID})
	}
	if v.Charts, err = h.installationCharts(c, mp); err != nil {
		return err
	}
	return render(c, mp.Range.Status(), templates.MetricsInstallation(v))
}

func (h *Handler) installationFilters(c echo.Context, v *templates.MetricsInstallationView, mp metricParams) error {
	opts, err := h.Metrics.ArgoFilterOptions(c.Request().Context(), mp.Filter.Scope)
	if err != nil {
		return err
	}
	v.Filters = templates.MetricFiltersView{Definitions: h.keptOptions("definition", mp.Filter.Scope, opts.Definitions, mp.Filter.DefinitionID),
		Granularities: granularityOptions(mp.Granularity), ResetHref: installationHref(mp.Filter.InstallationID),
		Hidden: hiddenFields(c.QueryParams(), "definition", "granularity", "page")}
	return nil
}

// installationCharts draws one chart per metric definition (their units
// differ): summed metrics as bars, the others as a line.
func (h *Handler) installationCharts(c echo.Context, mp metricParams) ([]templates.ChartView, error) {
	pts, err := h.Metrics.MetricSeries(c.Request().Context(), metrics.TotalsQuery{Filter: mp.Filter, Granularity: mp.Granularity}, "definition")
	if err != nil {
		return nil, err
	}
	var out []templates.ChartView
	for i := 0; i < len(pts); {
		j := i
		var s templates.TimeSeries
		for ; j < len(pts) && pts[j].Key == pts[i].Key; j++ {
			s.Points = append(s.Points, templates.TimePoint{T: pts[j].Period, V: pts[j].Total})
		}
		s.Name = pts[i].Label
		agg := metrics.Aggregation(pts[i].MetricType)
		title := pts[i].Label + " per " + mp.Granularity
		if agg == "mean" {
			title = pts[i].Label + ", mean per " + mp.Granularity
		}
		out = append(out, templates.BuildChart(templates.ChartSpec{Title: title, Unit: pts[i].UnitType, Series: []templates.TimeSeries{s},
			Bars: agg == "sum", BarWidth: periodSpan(mp.Granularity), Area: agg != "sum", From: mp.Range.From, To: mp.Range.To, Height: 200}))
		i = j
	}
	return out, nil
}

func (h *Handler) installationMetricsCSV(c echo.Context, q metrics.ListQuery, in metrics.InstallationRow, mp metricParams) error {
	valueHead := "value"
	if q.DefinitionID != "" {
		if d, err := h.Metrics.ArgoDefinition(c.Request().Context(), q.DefinitionID); err == nil {
			valueHead = "value (" + d.UnitType + ")"
		}
	}
	f := installationFacts(in)
	w, err := streamCSV(c, csvFilename("argo-metrics-"+f.Name, mp.Range), []string{"metric_id", "installation", "argo_installation_id",
		"project", "argo_project_id", "provider", "provider_id", "metric_definition", "metric_definition_id", "unit", "metric_type",
		"period_start_utc", "period_end_utc", valueHead, "user_id", "group_id"})
	if err != nil {
		return err
	}
	return w.finish(h.Metrics.EachArgoMetric(c.Request().Context(), q, func(r metrics.Row) error {
		return w.row([]string{r.ID, f.Name, r.InstallationID, f.Project, r.ProjectID, f.Provider, r.ProviderID, r.DefinitionName,
			r.DefinitionID, r.UnitType, r.MetricType, csvTime(r.Start), csvTime(r.End), csvNumber(r.Value), r.UserID, r.GroupID})
	}))
}
