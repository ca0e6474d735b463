package templates

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func day(n int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

func TestNiceTicks(t *testing.T) {
	ticks, lo, hi := niceTicks(0, 87, 5)
	if lo != 0 || hi != 100 || len(ticks) != 6 || ticks[1] != 20 {
		t.Fatalf("ticks %v [%v, %v]", ticks, lo, hi)
	}
	ticks, lo, hi = niceTicks(-3.2, 4.9, 5)
	if lo > -3.2 || hi < 4.9 || ticks[0] != lo {
		t.Fatalf("ticks %v [%v, %v]", ticks, lo, hi)
	}
	if _, lo, hi := niceTicks(5, 5, 5); !(lo < 5 && hi > 5) {
		t.Fatalf("flat data range [%v, %v]", lo, hi)
	}
}

func TestBuildChart_LineGeometry(t *testing.T) {
	v := BuildChart(ChartSpec{Title: "Balance", Unit: "EUR", Width: 400, Height: 200, Area: true,
		Series: []TimeSeries{{Name: "balance", Points: []TimePoint{{day(0), 0}, {day(10), 50}, {day(20), 100}}}}})
	if v.Empty || len(v.Lines) != 1 {
		t.Fatalf("%+v", v)
	}
	l := v.Lines[0]
	// The first point is at the plot's left edge and bottom, the last at its right edge and top.
	if !strings.HasPrefix(l.D, "M64 172") || !strings.HasSuffix(l.D, "L384 12") {
		t.Fatalf("path %s", l.D)
	}
	if !strings.HasSuffix(l.Area, "Z") || len(l.Dots) != 3 || !strings.Contains(l.Dots[1].Title, "2026-01-11 00:00: 50 EUR") {
		t.Fatalf("area %s dots %+v", l.Area, l.Dots)
	}
	if len(v.XTicks) < 2 || v.XTicks[0].Pos < v.Left || v.XTicks[len(v.XTicks)-1].Pos > v.Left+v.PlotW {
		t.Fatalf("x ticks %+v", v.XTicks)
	}
}

func TestBuildChart_StackedBarsAndEmpty(t *testing.T) {
	v := BuildChart(ChartSpec{Bars: true, Width: 400, Height: 200, Series: []TimeSeries{
		{Name: "loaded", Points: []TimePoint{{day(0), 30}, {day(1), 10}}},
		{Name: "failed", Points: []TimePoint{{day(0), 10}, {day(1), 0}}},
	}})
	if len(v.Bars) != 3 {
		t.Fatalf("bars %+v", v.Bars)
	}
	// The failed bar of day 0 sits on top of the loaded one.
	if v.Bars[2].Y+v.Bars[2].H != v.Bars[0].Y || v.Bars[2].Class != "series-2" {
		t.Fatalf("stacking %+v", v.Bars)
	}
	if e := BuildChart(ChartSpec{Title: "x"}); !e.Empty {
		t.Fatal("no data is not empty")
	}
}

func TestChart_RendersEscapedSVGWithoutStyles(t *testing.T) {
	v := BuildChart(ChartSpec{Title: `<script>alert("t")</script>`, Series: []TimeSeries{{Name: `"><img onerror=x>`, Points: []TimePoint{{day(0), 1}, {day(1), 2}}}, {Name: "b", Points: []TimePoint{{day(0), 2}}}}})
	var buf bytes.Buffer
	if err := Chart(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, "<img") || strings.Contains(out, "style=") {
		t.Fatalf("unsafe output: %s", out)
	}
	if !strings.Contains(out, "&lt;script&gt;") || !strings.Contains(out, `role="img"`) {
		t.Fatalf("title not escaped or not accessible: %s", out)
	}
}

func TestTimeTicks_CalendarBoundaries(t *testing.T) {
	ticks := timeTicks(day(0).Add(5*time.Hour), day(365), 8)
	if len(ticks) == 0 || len(ticks) > 13 {
		t.Fatalf("%d ticks", len(ticks))
	}
	for _, tk := range ticks {
		if tk.t.Day() != 1 || tk.t.Hour() != 0 {
			t.Fatalf("tick %v not on a month boundary", tk.t)
		}
	}
}

// TestBuildChart_BucketsLongSeries: a series longer than MaxChartPoints
// is drawn in coarser buckets (lines by their mean, bars by their sum
// unless Mean), and the chart says what a point stands for.
func TestBuildChart_BucketsLongSeries(t *testing.T) {
	var daily []TimePoint
	for i := range 1000 {
		daily = append(daily, TimePoint{day(i), float64(i % 7)})
	}
	line := BuildChart(ChartSpec{Series: []TimeSeries{{Name: "a", Points: daily}}})
	if n := strings.Count(line.Lines[0].D, "L") + 1; n > MaxChartPoints || n < 100 {
		t.Fatalf("a line of 1000 days has %d points", n)
	}
	if line.Bucket != "Too many points to draw one by one: Each point is the mean of one week." || !strings.Contains(line.Desc, line.Bucket) {
		t.Fatalf("bucket %q, desc %q", line.Bucket, line.Desc)
	}
	bars := BuildChart(ChartSpec{Bars: true, Series: []TimeSeries{{Name: "a", Points: daily}}})
	if len(bars.Bars) > MaxChartPoints || !strings.Contains(bars.Bucket, "Each bar adds up one week") {
		t.Fatalf("%d bars, bucket %q", len(bars.Bars), bars.Bucket)
	}
	// A whole week of 0..6 adds up to 21 (2026-01-05 was a Monday).
	if !strings.Contains(bars.Bars[1].Title, "2026-01-05: 21 ") {
		t.Fatalf("second bar %+v", bars.Bars[1])
	}
	mean := BuildChart(ChartSpec{Bars: true, Mean: true, Series: []TimeSeries{{Name: "a", Points: daily}}})
	if !strings.Contains(mean.Bars[1].Title, "2026-01-05: 3 ") || !strings.Contains(mean.Bucket, "mean of one week") {
		t.Fatalf("mean bar %+v, %q", mean.Bars[1], mean.Bucket)
	}
	// Short series are drawn as they are.
	if short := BuildChart(ChartSpec{Series: []TimeSeries{{Name: "a", Points: daily[:MaxChartPoints]}}}); short.Bucket != "" ||
		strings.Count(short.Lines[0].D, "L")+1 != MaxChartPoints {
		t.Fatalf("a short series was bucketed: %q", short.Bucket)
	}
}

// TestBuildChart_ExtremeRangeIsBounded draws a point per day from year 1
// to year 9999 and a bar per hour over a year: the drawing stays small.
func TestBuildChart_ExtremeRangeIsBounded(t *testing.T) {
	from, to := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	var pts []TimePoint
	for d := from; d.Before(to); d = d.AddDate(0, 0, 7) {
		pts = append(pts, TimePoint{d, 1})
	}
	v := BuildChart(ChartSpec{Area: true, From: from, To: to, Series: []TimeSeries{{Name: "a", Points: pts}}})
	if n := strings.Count(v.Lines[0].D, "L") + 1; n > MaxChartPoints {
		t.Fatalf("%d points", n)
	}
	if !strings.Contains(v.Bucket, "mean of 50 years") || len(v.XTicks) == 0 || len(v.XTicks) > 24 {
		t.Fatalf("bucket %q, %d ticks", v.Bucket, len(v.XTicks))
	}
	var hourly []TimePoint
	for h := range 365 * 24 {
		hourly = append(hourly, TimePoint{day(0).Add(time.Duration(h) * time.Hour), 1})
	}
	b := BuildChart(ChartSpec{Bars: true, BarWidth: time.Hour, Series: []TimeSeries{{Name: "a", Points: hourly}, {Name: "b", Points: hourly}}})
	if len(b.Bars) > 2*MaxChartPoints || !strings.Contains(b.Bucket, "one day") {
		t.Fatalf("%d bars, %q", len(b.Bars), b.Bucket)
	}
	for _, bar := range b.Bars {
		if bar.X < b.Left || bar.X+bar.W > b.Left+b.PlotW+0.1 {
			t.Fatalf("bar outside the plot: %+v", bar)
		}
	}
	var buf bytes.Buffer
	if err := Chart(v).Render(context.Background(), &buf); err != nil || buf.Len() > 64<<10 || !strings.Contains(buf.String(), `data-testid="chart-bucket"`) {
		t.Fatalf("rendered %d bytes (%v)", buf.Len(), err)
	}
}
