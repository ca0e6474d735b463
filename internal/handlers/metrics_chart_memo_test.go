package handlers

import (
	"reflect"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/web/templates"
)

// TestChartMemo_KeepsAChartUntilItsPointsChange: the same inputs reuse
// the kept chart without building it again; a changed total, a new
// point or another range builds a new chart equal to one built afresh.
func TestChartMemo_KeepsAChartUntilItsPointsChange(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var pts []metrics.PeriodValue
	for i := range 10 {
		for _, p := range []string{"P1", "P2"} {
			pts = append(pts, metrics.PeriodValue{Period: day.AddDate(0, 0, i), Key: p, Label: "Project " + p, UnitType: "h", Total: float64(i + 1)})
		}
	}
	var cm chartMemo
	builds := 0
	get := func(pts []metrics.PeriodValue, to time.Time) *templates.ChartView {
		spec := chartSpecKey("cpu per day", "h", 24*time.Hour, day, to, false, maxSeries)
		return cm.chart(spec, pts, func() templates.ChartView {
			builds++
			return templates.BuildChart(templates.ChartSpec{Title: "cpu per day", Unit: "h", Series: topSeries(pts, maxSeries),
				Bars: true, BarWidth: 24 * time.Hour, From: day, To: to})
		})
	}
	fresh := func(pts []metrics.PeriodValue, to time.Time) templates.ChartView {
		return templates.BuildChart(templates.ChartSpec{Title: "cpu per day", Unit: "h", Series: topSeries(pts, maxSeries),
			Bars: true, BarWidth: 24 * time.Hour, From: day, To: to})
	}
	to := day.AddDate(0, 0, 10)
	first := get(pts, to)
	if again := get(append([]metrics.PeriodValue(nil), pts...), to); again != first || builds != 1 {
		t.Fatalf("the same points built the chart %d times", builds)
	}
	changed := append([]metrics.PeriodValue(nil), pts...)
	changed[7].Total = 1000
	c := get(changed, to)
	if builds != 2 || reflect.DeepEqual(*c, *first) || !reflect.DeepEqual(*c, fresh(changed, to)) {
		t.Fatalf("a changed total: %d builds, chart follows %v", builds, reflect.DeepEqual(*c, fresh(changed, to)))
	}
	more := append(append([]metrics.PeriodValue(nil), changed...), metrics.PeriodValue{Period: day.AddDate(0, 0, 10), Key: "P3", Label: "Project P3", UnitType: "h", Total: 5})
	if c := get(more, to.AddDate(0, 0, 1)); builds != 3 || !reflect.DeepEqual(*c, fresh(more, to.AddDate(0, 0, 1))) {
		t.Fatalf("a new point and range: %d builds", builds)
	}
	if c := get(changed, to.AddDate(0, 0, 1)); builds != 4 || !reflect.DeepEqual(*c, fresh(changed, to.AddDate(0, 0, 1))) {
		t.Fatalf("another range: %d builds", builds)
	}
}
