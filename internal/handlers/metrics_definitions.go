package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// handleMetricDefinitions lists the metric definitions with the metrics
// the user's projects hold in each (and, at .csv, its CSV).
func (h *Handler) handleMetricDefinitions(c echo.Context) error {
	ctx := c.Request().Context()
	lp, err := parseList(c.QueryParams(), metrics.DefinitionSorts, "name", false)
	if err != nil {
		return err
	}
	u := user(c)
	dq := metrics.DefinitionQuery{Scope: u.Scope(), Sort: lp.Sort, Desc: lp.Desc}
	if wantsCSV(c) {
		w, err := streamCSV(c, "argo-metric-definitions.csv", []string{"metric_definition", "metric_definition_id", "unit", "metric_type",
			"aggregation", "installations_in_scope", "metrics_in_scope", "first_period_start_utc", "last_period_start_utc", "description"})
		if err != nil {
			return err
		}
		return w.finish(h.Metrics.EachArgoDefinition(ctx, dq, func(r metrics.DefinitionRow) error {
			return w.row([]string{r.Name, r.ID, r.UnitType, r.MetricType, metrics.Aggregation(r.MetricType),
				strconv.FormatInt(r.Installations, 10), strconv.FormatInt(r.Metrics, 10), csvTime(r.First), csvTime(r.Last), r.Description})
		}))
	}
	dq.Limit, dq.Offset = lp.Size, lp.Offset()
	rows, total, err := h.Metrics.ArgoDefinitions(ctx, dq)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Metric definitions", "metrics", portal.UpstreamArgo)
	if err != nil {
		return err
	}
	v := templates.MetricsDefinitionsView{Page: p, Tabs: metricsTabs(u, "definitions"), Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c)}
	v.Headers = []templates.SortHeader{
		sortHeader(c, lp, "Metric definition", "name", false), sortHeader(c, lp, "Unit", "unit", false),
		sortHeader(c, lp, "Type", "type", false), sortHeader(c, lp, "Installations", "installations", true),
		sortHeader(c, lp, "Metrics", "metrics", true), {Label: "Oldest period"}, sortHeader(c, lp, "Newest period", "last", true),
		{Label: "Description"},
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, templates.DefinitionRowView{ID: r.ID, Name: r.Name, Description: r.Description, Unit: r.UnitType,
			MetricType: r.MetricType, Aggregation: metrics.Aggregation(r.MetricType), Installations: r.Installations,
			Metrics: r.Metrics, First: r.First, Last: r.Last, Href: pathWithQuery("/metrics", "definition", r.ID)})
	}
	return render(c, http.StatusOK, templates.MetricsDefinitions(v))
}
