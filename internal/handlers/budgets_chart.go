package handlers

import (
	"context"
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// The balance chart draws the snapshots the portal stored at each sync.
// OBI keeps no balance history, so a portal that started recently has
// only a short line; for the part of the chosen range before the first
// snapshot the chart also draws a line reconstructed from job costs: the
// balance at midnight of a day is the balance at the next midnight plus
// what the project's jobs that ended that day cost. It is labelled as
// reconstructed, because it cannot know budget assigned, reversed or
// moved in that time. (The daily spend bars below it show the same costs
// directly; both are kept, as the line answers "where was I" and the bars
// "how fast am I going".)

// balanceChart builds the balance-over-time chart of a project and a note
// saying what is reconstructed, if anything. spend is the project's daily
// spend in the range, which the page has read already.
func (h *Handler) balanceChart(ctx context.Context, d *budgets.ProjectDetail, tr TimeRange, spend []budgets.DailySpend) (templates.ChartView, string, error) {
	spec := templates.ChartSpec{Title: "Balance over time", Unit: "credits", Area: true, From: tr.From, To: tr.To,
		EmptyText: noData(tr, portal.Extent{First: d.FirstSnapshot, Last: d.LastSnapshot}, "recorded balances")}
	pts, err := h.Budgets.BalanceSeries(ctx, d.ProjID, tr.From, tr.To, templates.MaxChartPoints)
	if err != nil {
		return templates.ChartView{}, "", err
	}
	recorded := templates.TimeSeries{Name: "recorded at each sync"}
	for _, p := range pts {
		recorded.Points = append(recorded.Points, templates.TimePoint{T: p.At, V: p.Balance.Float64()})
	}
	spec.Series = append(spec.Series, recorded)
	note := ""
	if !d.FirstSnapshot.IsZero() && d.FirstSnapshot.After(tr.From.Add(24*time.Hour)) {
		rec, err := h.reconstruct(ctx, d, tr, spend)
		if err != nil {
			return templates.ChartView{}, "", err
		}
		if len(rec.Points) > 1 {
			spec.Series = append(spec.Series, rec)
			note = "Before " + templates.FormatTime(d.FirstSnapshot) + ", when the portal first recorded this balance, the line is reconstructed from job costs: " +
				"the recorded balance plus the cost of the jobs that ended since. It does not show budget assigned, reversed or moved in that time."
		}
	}
	return templates.BuildChart(spec), note, nil
}

// reconstruct walks back from the first snapshot, day by day, adding
// back what the jobs of each day cost. The walk stops at the range's
// start or at the first day with spend, whichever is later: before that
// day the balance did not move, so one point at the range's start stands
// for the whole stretch. The work is bounded by the days with data, not
// by the range the URL asks for, and the chart folds the points into
// buckets when there are more than it draws.
func (h *Handler) reconstruct(ctx context.Context, d *budgets.ProjectDetail, tr TimeRange, inRange []budgets.DailySpend) (templates.TimeSeries, error) {
	s := templates.TimeSeries{Name: "reconstructed from job costs"}
	first, err := h.Budgets.BalanceSeries(ctx, d.ProjID, d.FirstSnapshot, d.FirstSnapshot.Add(time.Second), 1)
	if err != nil || len(first) == 0 {
		return s, err
	}
	day := d.FirstSnapshot.UTC().Truncate(24 * time.Hour)
	partial, err := h.Budgets.SpendBetween(ctx, d.ProjID, day, d.FirstSnapshot)
	if err != nil {
		return s, err
	}
	from := tr.From.UTC().Truncate(24 * time.Hour)
	// The days from the range's start to the first snapshot: those the
	// page read, and the days after the range's end when it ends earlier.
	spend := inRange
	if day.After(tr.To) {
		more, err := h.Budgets.BudgetDailySpend(ctx, d.ProjID, tr.To, day)
		if err != nil {
			return s, err
		}
		spend = append(slices.Clip(spend), more...)
	}
	perDay := map[time.Time]decimal.Decimal{}
	stop := day
	for _, sp := range spend {
		if !sp.Day.Before(day) || sp.Day.Before(from) {
			continue
		}
		perDay[sp.Day] = perDay[sp.Day].Add(sp.Amount)
		if sp.Day.Before(stop) {
			stop = sp.Day
		}
	}
	if stop.Before(from) {
		stop = from
	}
	bal := first[0].Balance.Add(partial)
	pts := []templates.TimePoint{{T: d.FirstSnapshot, V: first[0].Balance.Float64()}, {T: day, V: bal.Float64()}}
	for t := day.AddDate(0, 0, -1); !t.Before(stop); t = t.AddDate(0, 0, -1) {
		bal = bal.Add(perDay[t])
		pts = append(pts, templates.TimePoint{T: t, V: bal.Float64()})
	}
	if stop.After(from) {
		pts = append(pts, templates.TimePoint{T: from, V: bal.Float64()})
	}
	for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
		pts[i], pts[j] = pts[j], pts[i]
	}
	// Only what falls in the range is drawn.
	for _, p := range pts {
		if !p.T.After(tr.To) {
			s.Points = append(s.Points, p)
		}
	}
	return s, nil
}

// spendChart draws the daily spend per job type as stacked bars.
// jobs is where the project's jobs begin and end, for an empty range.
func spendChart(spend []budgets.DailySpend, tr TimeRange, jobs portal.Extent) templates.ChartView {
	order := []string{"oneshot", "longrun", "storage"}
	byType := map[string]*templates.TimeSeries{}
	var series []templates.TimeSeries
	for _, t := range order {
		series = append(series, templates.TimeSeries{Name: t})
	}
	for i := range series {
		byType[series[i].Name] = &series[i]
	}
	for _, s := range spend {
		ts := byType[s.Type]
		if ts == nil {
			series = append(series, templates.TimeSeries{Name: s.Type})
			for i := range series {
				byType[series[i].Name] = &series[i]
			}
			ts = byType[s.Type]
		}
		ts.Points = append(ts.Points, templates.TimePoint{T: s.Day, V: s.Amount.Float64()})
	}
	return templates.BuildChart(templates.ChartSpec{Title: "Spend per day, by job type", Unit: "credits", Bars: true, Series: series,
		From: tr.From.UTC().Truncate(24 * time.Hour), To: tr.To, EmptyText: noData(tr, jobs, "this project's jobs")})
}
