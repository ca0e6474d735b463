package e2e

import (
	"fmt"
	"strings"
)

// Page objects of the metrics area (ARGO): the overview of totals, the
// installations list and one installation's page.

// MetricsOverview is the metrics overview (/metrics).
type MetricsOverview struct{ b *Browser }

// OpenMetrics follows the navigation to the metrics overview.
func (b *Browser) OpenMetrics() MetricsOverview {
	b.t.Helper()
	if st := b.GoTo("Metrics"); st != 200 {
		b.t.Fatalf("e2e: Metrics answered %d (at %s)", st, b.URL())
	}
	b.WaitFor(`[data-testid="metric-totals"]`)
	return MetricsOverview{b}
}

// Rows is the number of totals shown on this page of the table.
func (m MetricsOverview) Rows() int { return len(m.b.ReadTable(`[data-testid="metric-totals"]`).Rows) }

// HasChart reports whether the page draws a chart with bars.
func (m MetricsOverview) HasChart() bool { return m.b.Has(`figure.chart svg rect`) }

// CSV describes the totals table and its download. The first column is
// named after the granularity shown ("Day", "Week" or "Month").
func (m MetricsOverview) CSV() CSVTable {
	m.b.t.Helper()
	period := m.b.ReadTable(`[data-testid="metric-totals"]`).Header[0]
	return CSVTable{Table: `[data-testid="metric-totals"]`, Link: `[data-testid="csv-link"]`, Count: `[data-testid="row-count"]`,
		File: "metric-totals-per-", Cols: []Col{
			{Screen: period, Show: Field("period")},
			{Screen: "Project", Show: Field("project")},
			{Screen: "Provider", Show: Field("provider")},
			{Screen: "Metric", Show: Field("metric_definition")},
			{Screen: "Installations", Show: Grouped("installations")},
			{Screen: "Metrics", Show: Grouped("metrics")},
			{Screen: "Total", Show: Grouped("total")},
			{Screen: "Unit", Show: Field("unit")},
			{Screen: "Added up as", Show: Field("aggregation")},
		}}
}

// Installations follows the overview's tab to the installations list.
func (m MetricsOverview) Installations() Installations {
	m.b.t.Helper()
	if st := m.b.Click(`[data-testid="metrics-tabs"] a[href="/metrics/installations"]`); st != 200 {
		m.b.t.Fatalf("e2e: the installations list answered %d", st)
	}
	m.b.WaitFor(`[data-testid="installations"]`)
	return Installations{m.b}
}

// Installations is the list of installations (/metrics/installations).
type Installations struct{ b *Browser }

// Projects are the projects of the installations listed, one per row.
func (l Installations) Projects() []string {
	t := l.b.ReadTable(`[data-testid="installations"]`)
	col := indexOf(t.Header, "Project")
	var out []string
	for _, r := range t.Rows {
		out = append(out, r[col])
	}
	return out
}

// Open opens the first installation of a project (by its name as shown).
func (l Installations) Open(project string) Installation {
	l.b.t.Helper()
	ids, err := run(l.b, evalStrings(fmt.Sprintf(`Array.from(document.querySelectorAll('[data-testid="installations"] tr[data-id]'))
		.filter(tr => tr.querySelector('[data-col="project"]').innerText.trim() === %q).map(tr => tr.dataset.id)`, project)))
	l.b.must(err, "find the installations of %s", project)
	if len(ids) == 0 {
		l.b.t.Fatalf("e2e: no installation of %q listed (projects %q)", project, l.Projects())
	}
	if st := l.b.Click(fmt.Sprintf(`tr[data-id=%q] [data-col="installation"] a`, ids[0])); st != 200 {
		l.b.t.Fatalf("e2e: installation %s answered %d", ids[0], st)
	}
	l.b.WaitFor(`[data-testid="installation-metrics"]`)
	return Installation{l.b}
}

// Installation is one installation's page.
type Installation struct{ b *Browser }

// Name is the installation's name, from the heading.
func (i Installation) Name() string { return strings.TrimPrefix(i.b.Heading(), "Installation ") }

// Charts is the number of charts drawn (one per metric definition).
func (i Installation) Charts() int { return i.b.Count(`figure.chart svg`) }

// InstallationMetricsCSV is an installation's metrics table and its download.
var InstallationMetricsCSV = CSVTable{Table: `[data-testid="installation-metrics"]`, Link: `[data-testid="csv-link"]`,
	Count: `[data-testid="row-count"]`, File: "argo-metrics-", Cols: []Col{
		{Screen: "Start", Show: UTC("period_start_utc", Minute)},
		{Screen: "End", Show: UTC("period_end_utc", Minute)},
		{Screen: "Metric", Show: Field("metric_definition")},
		// The value's header carries the unit when one definition is chosen.
		{Screen: "Value", Show: func(r CSVRow) string {
			for k, v := range r {
				if k == "value" || strings.HasPrefix(k, "value (") {
					return group(v)
				}
			}
			return "(no value column)"
		}},
		{Screen: "Unit", Show: Field("unit")},
		{Screen: "User", Show: Field("user_id")},
		{Screen: "Group", Show: Field("group_id")},
		{Screen: "ARGO id", Show: Field("metric_id")},
	}}
