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
