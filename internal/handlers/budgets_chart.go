package handlers

import (
	"context"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/decimal"
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

// chartPoints is how many points a balance line gets at most.
const chartPoints = 400

// balanceChart builds the balance-over-time chart of a project and a note
// saying what is reconstructed, if anything.
func (h *Handler) balanceChart(ctx context.Context, d *cache.BudgetProjectDetail, tr TimeRange) (templates.ChartView, string, error) {
	spec := templates.ChartSpec{Title: "Balance over time", Unit: "credits", Area: true, From: tr.From, To: tr.To}
	pts, err := h.Budgets.BalanceSeries(ctx, d.ProjID, tr.From, tr.To, chartPoints)
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
		rec, err := h.reconstruct(ctx, d, tr.From)
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

// reconstruct walks back from the first snapshot to from, day by day,
// adding back what the jobs of each day cost.
func (h *Handler) reconstruct(ctx context.Context, d *cache.BudgetProjectDetail, from time.Time) (templates.TimeSeries, error) {
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
	spend, err := h.Budgets.BudgetDailySpend(ctx, d.ProjID, from, day)
	if err != nil {
		return s, err
	}
	perDay := map[time.Time]decimal.Decimal{}
	for _, sp := range spend {
		perDay[sp.Day] = perDay[sp.Day].Add(sp.Amount)
	}
	bal := first[0].Balance.Add(partial)
	pts := []templates.TimePoint{{T: d.FirstSnapshot, V: first[0].Balance.Float64()}, {T: day, V: bal.Float64()}}
	for t := day.AddDate(0, 0, -1); !t.Before(from.UTC().Truncate(24 * time.Hour)); t = t.AddDate(0, 0, -1) {
		bal = bal.Add(perDay[t])
		pts = append(pts, templates.TimePoint{T: t, V: bal.Float64()})
	}
	for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
		pts[i], pts[j] = pts[j], pts[i]
	}
	s.Points = pts
	return s, nil
}

// spendChart draws the daily spend per job type as stacked bars.
func spendChart(spend []cache.DailySpend, tr TimeRange) templates.ChartView {
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
		From: tr.From.UTC().Truncate(24 * time.Hour), To: tr.To})
}
