package templates

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The portal draws its charts on the server as SVG: no JavaScript, no
// chart library, the same picture in every browser and in print. A chart
// is a ChartSpec (data in); ChartView is the geometry the chart component
// draws. Every chart has a table of the same numbers next to it.

// TimePoint is one value at one time.
type TimePoint struct {
	T time.Time
	V float64
}

// TimeSeries is a named line or bar series.
type TimeSeries struct {
	Name   string
	Points []TimePoint
}

// ChartSpec describes a chart to draw.
type ChartSpec struct {
	Title string
	// Unit labels the y axis ("EUR", "core-hours", "%").
	Unit   string
	Series []TimeSeries
	// Bars draws stacked bars per point time (e.g. per day) instead of lines.
	Bars bool
	// BarWidth is the span one bar covers (default one day).
	BarWidth time.Duration
	// Area shades the area under the first line.
	Area          bool
	Width, Height int
	// From and To fix the x range; zero means the data's own range.
	From, To time.Time
	// Mean combines bars by their mean, not their sum, when a long range
	// is drawn in coarser buckets (for values such as averages that do not
	// add up over time). Lines are always combined by their mean.
	Mean bool
	// EmptyText is what the chart says when its range holds no point
	// (default "No data in this range."), such as where the data is.
	EmptyText string

	// barEnd is where a bar starting at t ends, once bucketed.
	barEnd func(t time.Time) time.Time
}

// ChartView is a chart's geometry.
type ChartView struct {
	Title, Desc   string
	Width, Height int
	Left, Top     float64 // plot origin
	PlotW, PlotH  float64
	XTicks        []ChartTick
	YTicks        []ChartTick
	Lines         []ChartLine
	Bars          []ChartBar
	Legend        []ChartLegend
	Empty         bool
	Unit          string
	// Bucket says what one point or bar stands for when the data had more
	// points than MaxChartPoints and was drawn in coarser buckets.
	Bucket string
	// html is the chart as Chart rendered it (Kept).
	html keptHTML
}

// Kept returns the chart with its rendering kept: Chart writes a kept
// chart as it was rendered, for a chart kept between requests.
func (v ChartView) Kept() ChartView {
	v.html = ""
	v.html = keep(Chart(v))
	return v
}

// ChartTick is an axis tick: its position in pixels and its label.
type ChartTick struct {
	Pos   float64
	Label string
}

// ChartLine is one series drawn as a line.
type ChartLine struct {
	Class string
	D     string // path data
	Area  string // path data of the shaded area, or ""
	Dots  []ChartDot
}

// ChartDot is a point with a tooltip.
type ChartDot struct {
	X, Y  float64
	Title string
}

// ChartBar is one bar segment.
type ChartBar struct {
	Class      string
	X, Y, W, H float64
	Title      string
}

// ChartLegend names a series' colour.
type ChartLegend struct{ Class, Name string }

// Layout constants in SVG user units.
const (
	chartLeft   = 64.0
	chartRight  = 16.0
	chartTop    = 12.0
	chartBottom = 28.0
	maxDots     = 120 // more points than this get no per-point tooltips
)

// BuildChart computes the geometry of a chart. However many points the
// spec has, the chart draws at most MaxChartPoints per series: longer
// series are folded into coarser calendar buckets first (see bucketed),
// and the chart says so.
func BuildChart(s ChartSpec) ChartView {
	if s.Width == 0 {
		s.Width = 800
	}
	if s.Height == 0 {
		s.Height = 260
	}
	var bucket string
	s, bucket = bucketed(s)
	v := ChartView{Title: s.Title, Width: s.Width, Height: s.Height, Left: chartLeft, Top: chartTop, Unit: s.Unit, Bucket: bucket,
		PlotW: float64(s.Width) - chartLeft - chartRight, PlotH: float64(s.Height) - chartTop - chartBottom}
	for i, se := range s.Series {
		v.Legend = append(v.Legend, ChartLegend{Class: seriesClass(i), Name: se.Name})
	}
	t0, t1, lo, hi, n := extent(s)
	if n == 0 {
		v.Empty = true
		v.Desc = "No data in this range."
		if s.EmptyText != "" {
			v.Desc = s.EmptyText
		}
		return v
	}
	if !s.From.IsZero() {
		t0 = s.From
	}
	if !s.To.IsZero() {
		t1 = s.To
	}
	if s.Bars {
		t1 = barEnd(s)(t1)
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Hour)
	}
	yTicks, ymin, ymax := niceTicks(lo, hi, 5)
	// Milliseconds, not time.Duration, which cannot span more than 292 years.
	ms0, msSpan := float64(t0.UnixMilli()), float64(t1.UnixMilli()-t0.UnixMilli())
	x := func(t time.Time) float64 { return v.Left + v.PlotW*(float64(t.UnixMilli())-ms0)/msSpan }
	y := func(val float64) float64 { return v.Top + v.PlotH*(1-(val-ymin)/(ymax-ymin)) }
	for _, tv := range yTicks {
		v.YTicks = append(v.YTicks, ChartTick{Pos: round1(y(tv)), Label: formatTick(tv)})
	}
	for _, tt := range timeTicks(t0, t1, 8) {
		v.XTicks = append(v.XTicks, ChartTick{Pos: round1(x(tt.t)), Label: tt.label})
	}
	if s.Bars {
		v.Bars = stackedBars(s, x, y, v.Left, v.Left+v.PlotW)
	} else {
		for i, se := range s.Series {
			v.Lines = append(v.Lines, line(se, i, s.Area && i == 0, x, y, y(math.Max(ymin, 0)), s.Unit))
		}
	}
	v.Desc = fmt.Sprintf("%d series from %s to %s; values from %s to %s %s.", len(s.Series),
		t0.UTC().Format("2006-01-02"), t1.UTC().Format("2006-01-02"), formatTick(lo), formatTick(hi), s.Unit)
	if bucket != "" {
		v.Desc += " " + bucket
	}
	return v
}

// barEnd returns where a bar that starts at t ends.
func barEnd(s ChartSpec) func(time.Time) time.Time {
	if s.barEnd != nil {
		return s.barEnd
	}
	w := s.BarWidth
	if w <= 0 {
		w = 24 * time.Hour
	}
	return func(t time.Time) time.Time { return t.Add(w) }
}

func seriesClass(i int) string { return "series-" + strconv.Itoa(i%6+1) }

// extent finds the data's time and value range, including 0 for bars and
// non-negative data so that bars and amounts are not exaggerated.
func extent(s ChartSpec) (t0, t1 time.Time, lo, hi float64, n int) {
	lo, hi = math.Inf(1), math.Inf(-1)
	stack := map[time.Time]float64{}
	for _, se := range s.Series {
		for _, p := range se.Points {
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			if n == 0 || p.T.Before(t0) {
				t0 = p.T
			}
			if n == 0 || p.T.After(t1) {
				t1 = p.T
			}
			n++
			val := p.V
			if s.Bars {
				stack[p.T] += p.V
				val = stack[p.T]
			}
			lo, hi = math.Min(lo, val), math.Max(hi, val)
		}
	}
	if n > 0 && lo >= 0 {
		lo = 0
	}
	return
}

func line(se TimeSeries, i int, area bool, x func(time.Time) float64, y func(float64) float64, base float64, unit string) ChartLine {
	l := ChartLine{Class: seriesClass(i)}
	var d strings.Builder
	var first, last float64
	started := false
	for _, p := range se.Points {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		px, py := round1(x(p.T)), round1(y(p.V))
		if !started {
			fmt.Fprintf(&d, "M%s %s", ftoa(px), ftoa(py))
			first, started = px, true
		} else {
			fmt.Fprintf(&d, "L%s %s", ftoa(px), ftoa(py))
		}
		last = px
		if len(se.Points) <= maxDots {
			l.Dots = append(l.Dots, ChartDot{X: px, Y: py, Title: fmt.Sprintf("%s %s: %s %s", se.Name, p.T.UTC().Format("2006-01-02 15:04"), formatValue(p.V), unit)})
		}
	}
	l.D = d.String()
	if area && started {
		l.Area = fmt.Sprintf("%sL%s %sL%s %sZ", l.D, ftoa(last), ftoa(round1(base)), ftoa(first), ftoa(round1(base)))
	}
	return l
}

// stackedBars draws the bars, clipped to the plot between left and right
// (a bucket may start before the chart's range).
func stackedBars(s ChartSpec, x func(time.Time) float64, y func(float64) float64, left, right float64) []ChartBar {
	end := barEnd(s)
	var out []ChartBar
	stack := map[time.Time]float64{}
	for i, se := range s.Series {
		for _, p := range se.Points {
			if p.V <= 0 || math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			bottom := stack[p.T]
			top := bottom + p.V
			stack[p.T] = top
			x0, x1 := math.Max(x(p.T), left), math.Min(x(end(p.T)), right)
			if x1 <= x0 {
				continue
			}
			gap := math.Min(2, (x1-x0)*0.15)
			out = append(out, ChartBar{Class: seriesClass(i), X: round1(x0 + gap/2), Y: round1(y(top)), W: round1(math.Max(x1-x0-gap, 0.5)),
				H: round1(math.Max(y(bottom)-y(top), 0.5)), Title: fmt.Sprintf("%s %s: %s %s", se.Name, p.T.UTC().Format("2006-01-02"), formatValue(p.V), s.Unit)})
		}
	}
	return out
}

// niceTicks returns about n round tick values covering [lo, hi] and the
// axis range they span.
func niceTicks(lo, hi float64, n int) ([]float64, float64, float64) {
	if hi == lo {
		if hi == 0 {
			hi = 1
		} else {
			lo, hi = lo-math.Abs(lo)*0.1, hi+math.Abs(hi)*0.1
		}
	}
	step := niceNum((hi-lo)/float64(n-1), true)
	min, max := math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	var ticks []float64
	for v := min; v <= max+step/2; v += step {
		ticks = append(ticks, math.Round(v/step)*step)
	}
	return ticks, min, max
}

// niceNum rounds x to 1, 2, 5 or 10 times a power of ten.
func niceNum(x float64, round bool) float64 {
	exp := math.Floor(math.Log10(x))
	f := x / math.Pow(10, exp)
	var nf float64
	switch {
	case round && f < 1.5, !round && f <= 1:
		nf = 1
	case round && f < 3, !round && f <= 2:
		nf = 2
	case round && f < 7, !round && f <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * math.Pow(10, exp)
}

type timeTick struct {
	t     time.Time
	label string
}

// timeTicks places up to about n ticks on calendar boundaries that suit the span.
func timeTicks(t0, t1 time.Time, n int) []timeTick {
	span := t1.Sub(t0)
	type unit struct {
		step   func(time.Time) time.Time
		floor  func(time.Time) time.Time
		approx time.Duration
		format string
	}
	day := func(k int) unit {
		return unit{func(t time.Time) time.Time { return t.AddDate(0, 0, k) },
			func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) },
			time.Duration(k) * 24 * time.Hour, "Jan 2"}
	}
	month := func(k int) unit {
		return unit{func(t time.Time) time.Time { return t.AddDate(0, k, 0) },
			func(t time.Time) time.Time {
				m := (int(t.Month())-1)/k*k + 1
				return time.Date(t.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC)
			}, time.Duration(k) * 30 * 24 * time.Hour, "Jan 2006"}
	}
	hour := func(k int) unit {
		return unit{func(t time.Time) time.Time { return t.Add(time.Duration(k) * time.Hour) },
			func(t time.Time) time.Time { return t.Truncate(time.Duration(k) * time.Hour) },
			time.Duration(k) * time.Hour, "Jan 2 15:04"}
	}
	years := func(k int) unit {
		return unit{func(t time.Time) time.Time { return t.AddDate(k, 0, 0) },
			func(t time.Time) time.Time {
				y := t.Year() - ((t.Year()%k)+k)%k
				return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
			}, time.Duration(k) * 365 * 24 * time.Hour, "2006"}
	}
	units := []unit{hour(1), hour(3), hour(6), hour(12), day(1), day(2), day(7), day(14), month(1), month(3), month(6), month(12),
		years(2), years(5), years(10), years(20), years(50), years(100), years(200), years(500), years(1000), years(2000)}
	u := units[len(units)-1]
	for _, c := range units {
		if span/c.approx <= time.Duration(n) {
			u = c
			break
		}
	}
	t0, t1 = t0.UTC(), t1.UTC()
	var out []timeTick
	for t := u.floor(t0); !t.After(t1) && len(out) < 3*n; t = u.step(t) {
		if t.Before(t0) {
			continue
		}
		out = append(out, timeTick{t, t.Format(u.format)})
	}
	return out
}

func formatTick(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimZeros(strconv.FormatFloat(v/1e9, 'f', 1, 64)) + "G"
	case a >= 1e6:
		return trimZeros(strconv.FormatFloat(v/1e6, 'f', 1, 64)) + "M"
	case a >= 1e4:
		return trimZeros(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case a == 0:
		return "0"
	case a < 0.01:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
}

// formatValue prints a point's value for its tooltip, as tables print it.
func formatValue(v float64) string { return MetricNumber(v) }

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
