package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// MetricStore is what the metrics pages (ARGO metrics and metric pushes) need from the cache.
type MetricStore interface {
	ArgoFilterOptions(ctx context.Context, scope portal.Scope) (metrics.FilterOptions, error)
	MetricTotals(ctx context.Context, q metrics.TotalsQuery) ([]metrics.Total, int64, error)
	EachMetricTotal(ctx context.Context, q metrics.TotalsQuery, fn func(metrics.Total) error) error
	MetricSeries(ctx context.Context, q metrics.TotalsQuery, by string) ([]metrics.PeriodValue, error)
	ArgoInstallations(ctx context.Context, q metrics.InstallationQuery) ([]metrics.InstallationRow, int64, error)
	EachArgoInstallation(ctx context.Context, q metrics.InstallationQuery, fn func(metrics.InstallationRow) error) error
	ArgoInstallation(ctx context.Context, id string, scope portal.Scope) (*metrics.InstallationRow, error)
	ArgoInstallationInScope(ctx context.Context, id string, scope portal.Scope) (bool, error)
	ArgoDefinition(ctx context.Context, id string) (*metrics.Definition, error)
	ArgoDefinitions(ctx context.Context, q metrics.DefinitionQuery) ([]metrics.DefinitionRow, int64, error)
	EachArgoDefinition(ctx context.Context, q metrics.DefinitionQuery, fn func(metrics.DefinitionRow) error) error
	ArgoMetrics(ctx context.Context, q metrics.ListQuery) ([]metrics.Row, int64, error)
	EachArgoMetric(ctx context.Context, q metrics.ListQuery, fn func(metrics.Row) error) error
	CreateMetricPush(ctx context.Context, scope portal.Scope, p metrics.NewPush) (int64, error)
	MetricPushes(ctx context.Context, q metrics.PushQuery) ([]metrics.Push, int64, error)
	EachMetricPush(ctx context.Context, q metrics.PushQuery, fn func(metrics.Push) error) error
	MetricPushByID(ctx context.Context, id int64, createdBy string) (*metrics.Push, error)
	MetricExtent(ctx context.Context, f metrics.Filter) (portal.Extent, error)
}

// registerMetrics mounts the metrics pages. Every page is scoped to the
// user's projects in SQL; an installation or push outside them is "not
// found". Pushing needs the manage right on the installation's project.
func (h *Handler) registerMetrics(e *echo.Echo) {
	h.add(e, "GET", "/metrics", h.handleMetrics, Member)
	h.add(e, "GET", "/metrics.csv", h.handleMetrics, Member)
	h.add(e, "GET", "/metrics/definitions", h.handleMetricDefinitions, Member)
	h.add(e, "GET", "/metrics/definitions.csv", h.handleMetricDefinitions, Member)
	h.add(e, "GET", "/metrics/installations", h.handleMetricInstallations, Member)
	h.add(e, "GET", "/metrics/installations.csv", h.handleMetricInstallations, Member)
	// Also serves /metrics/installations/:id.csv (Echo's parameter takes the suffix).
	h.add(e, "GET", "/metrics/installations/:id", h.handleMetricInstallation, Member)
	h.add(e, "GET", "/metrics/installations/:id/push", h.handlePushForm, Manager)
	h.add(e, "POST", "/metrics/installations/:id/push", h.handlePushSubmit, Manager)
	h.add(e, "GET", "/metrics/pushes", h.handlePushes, Manager)
	h.add(e, "GET", "/metrics/pushes.csv", h.handlePushes, Manager)
	h.add(e, "GET", "/metrics/pushes/:id", h.handlePush, Manager)
}

// metricsTabs is the sub-navigation of the metrics section.
func metricsTabs(u *portal.User, current string) []templates.Tab {
	tabs := []templates.Tab{
		{Key: "overview", Label: "Overview", Href: "/metrics"},
		{Key: "installations", Label: "Installations", Href: "/metrics/installations"},
		{Key: "definitions", Label: "Metric definitions", Href: "/metrics/definitions"},
	}
	if u.IsManager() {
		label := "My pushes"
		if u.Admin {
			label = "Pushes"
		}
		tabs = append(tabs, templates.Tab{Key: "pushes", Label: label, Href: "/metrics/pushes"})
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Key == current
	}
	return tabs
}

// granularities are the periods totals can be grouped in, in order.
var granularities = []struct{ Key, Label string }{{metrics.Daily, "Day"}, {metrics.Weekly, "Week"}, {metrics.Monthly, "Month"}}

// maxDailySpan is the longest range shown per day: beyond it, daily rows
// and bars are too many to read (XDMoD draws the same line).
const maxDailySpan = 2 * 366 * 24 * time.Hour

// metricParams are the filters every metrics page reads from its URL.
type metricParams struct {
	Filter      metrics.Filter
	Range       TimeRange
	Granularity string
}

// parseMetricParams reads project, provider, installation, definition,
// granularity and the time range. Without a granularity, the range picks
// one (days up to a month, weeks up to half a year, months beyond). The
// range is widened to whole periods (its start back to the start of its
// first period, its end on to the end of its last), so that no period's
// total is a part of one. Custom dates that cannot be used are the error
// returned last, with the default range's parameters (see keepPage).
func (h *Handler) parseMetricParams(c echo.Context, defRange string) (metricParams, error) {
	q := c.QueryParams()
	tr, rangeErr := parseTimeRange(q, h.nowUTC(), defRange)
	if tr.Invalid == nil && rangeErr != nil {
		return metricParams{}, rangeErr
	}
	g := q.Get("granularity")
	span := tr.To.Sub(tr.From)
	switch {
	case g == "" && span <= 32*24*time.Hour:
		g = metrics.Daily
	case g == "" && span <= 190*24*time.Hour:
		g = metrics.Weekly
	case g == "":
		g = metrics.Monthly
	case g != metrics.Daily && g != metrics.Weekly && g != metrics.Monthly:
		return metricParams{}, portal.Errorf(portal.EINVALID, "granularity: %q is not day, week or month", g)
	case g == metrics.Daily && span > maxDailySpan:
		return metricParams{}, portal.Errorf(portal.EINVALID, "granularity: a range longer than two years cannot be shown per day; choose week or month")
	}
	tr.From = metrics.PeriodStart(tr.From, g)
	tr.To = metrics.NextPeriod(metrics.PeriodStart(tr.To.Add(-time.Nanosecond), g), g)
	return metricParams{Range: tr, Granularity: g, Filter: metrics.Filter{
		Scope: user(c).Scope(), ProjectID: q.Get("project"), ProviderID: q.Get("provider"),
		InstallationID: q.Get("installation"), DefinitionID: q.Get("definition"), From: tr.From, To: tr.To,
	}}, rangeErr
}

// periodSpan is the length of a period, for the width of chart bars (a
// month is drawn 28 days wide, so bars never overlap).
func periodSpan(g string) time.Duration {
	switch g {
	case metrics.Weekly:
		return 7 * 24 * time.Hour
	case metrics.Monthly:
		return 28 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// rangeNote says which periods a page shows.
func rangeNote(p metricParams) string {
	return fmt.Sprintf("Totals per %s of whole periods, from %s to %s inclusive (UTC).", p.Granularity,
		p.Range.From.Format("2006-01-02"), p.Range.To.Add(-time.Second).Format("2006-01-02"))
}

// options turns filter options into select options with the current value selected.
func options(opts []metrics.Option, current string) templates.SelectOptions {
	out := make([]templates.SelectOption, 0, len(opts))
	for _, o := range opts {
		out = append(out, templates.SelectOption{Value: o.Value, Label: o.Label, Selected: o.Value == current})
	}
	return templates.SelectOptions{List: out}
}

// keptOptions is options(opts, current) rendered once and kept by its
// inputs (kept_parts.go): the lists change only with an ARGO sync
// or the catalogue, and differ by scope. name says which filter.
func (h *Handler) keptOptions(name string, scope portal.Scope, opts []metrics.Option, current string) templates.SelectOptions {
	spec := name + "\x00" + current + "\x00" + scopeSpec(scope)
	return h.filterLists.get(spec, opts, sameOption, func() templates.SelectOptions { return options(opts, current).Kept() })
}

// scopeSpec is a scope as part of a kept part's spec.
func scopeSpec(s portal.Scope) string {
	if s.All {
		return "all"
	}
	return strings.Join(portal.NormalizeProjects(s.Projects), ",")
}

func granularityOptions(current string) templates.SelectOptions {
	out := make([]templates.SelectOption, 0, len(granularities))
	for _, g := range granularities {
		out = append(out, templates.SelectOption{Value: g.Key, Label: g.Label, Selected: g.Key == current})
	}
	return templates.SelectOptions{List: out}
}

// csvNumber writes a number for a spreadsheet: plain digits, a dot.
func csvNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func unixUTC(s int64) time.Time { return time.Unix(s, 0).UTC() }
