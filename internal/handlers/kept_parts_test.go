package handlers

import (
	"context"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
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
	var cm keptByInputs[metrics.PeriodValue, *templates.ChartView]
	builds := 0
	get := func(pts []metrics.PeriodValue, to time.Time) *templates.ChartView {
		spec := chartSpecKey("cpu per day", "h", 24*time.Hour, day, to, false, maxSeries)
		return cm.get(spec, pts, samePoint, func() *templates.ChartView {
			builds++
			c := templates.BuildChart(templates.ChartSpec{Title: "cpu per day", Unit: "h", Series: topSeries(pts, maxSeries),
				Bars: true, BarWidth: 24 * time.Hour, From: day, To: to})
			return &c
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

// seriesFake is a billing store whose series the test sets.
type seriesFake struct {
	BillingStore
	series []billing.Point
}

func (f *seriesFake) BillingSeries(context.Context, time.Time, time.Time, billing.Bucket) ([]billing.Point, error) {
	return slices.Clone(f.series), nil // a copy, as the cache hands out
}

// TestKeptParts_BillingChartsKeptWithinTheHourUntilTheirBucketsChange:
// requests in the same hour reuse the charts and their table, drawn over
// the range's whole hours; new buckets (a sync) or the next hour build
// them again, equal to charts drawn afresh.
func TestKeptParts_BillingChartsKeptWithinTheHourUntilTheirBucketsChange(t *testing.T) {
	week := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	f := &seriesFake{}
	for i := range 52 {
		f.series = append(f.series, billing.Point{Start: week.AddDate(0, 0, 7*i), Records: 168, CPU: float64(i), RAM: 50, GPU: 10, VGPU: 5,
			StorageUsed: 1 << 40, StorageTotal: 4 << 40})
	}
	h := &Handler{Deps: Deps{Billing: f}}
	view := func(now time.Time) templates.BillingView {
		t.Helper()
		v := templates.BillingView{From: now.AddDate(-1, 0, 0), To: now}
		c := echo.New().NewContext(httptest.NewRequest("GET", "/billing?range=1y", nil), httptest.NewRecorder())
		if err := h.billingChartsView(c, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	html := func(v templates.BillingView) string {
		var b strings.Builder
		for _, ch := range v.Charts {
			templates.Chart(ch).Render(context.Background(), &b)
		}
		v.ChartRows.Render(context.Background(), &b)
		return b.String()
	}
	fresh := func(now time.Time) string {
		charts, rows := billingCharts(f.series, now.AddDate(-1, 0, 0).Truncate(time.Hour), now.Truncate(time.Hour))
		return html(templates.BillingView{Charts: charts, ChartRows: rows})
	}
	at := time.Date(2027, 3, 1, 12, 10, 0, 0, time.UTC)
	first := view(at)
	if html(first) != fresh(at) {
		t.Fatal("the kept charts differ from charts drawn afresh")
	}
	if again := view(at.Add(40 * time.Minute)); &again.Charts[0] != &first.Charts[0] {
		t.Error("a request later in the same hour drew the charts again")
	}
	next := at.Add(time.Hour)
	if v := view(next); &v.Charts[0] == &first.Charts[0] || html(v) != fresh(next) {
		t.Error("the next hour reused the last hour's charts")
	}
	before := html(view(next))
	f.series[51].CPU = 99 // the week's buckets after a sync
	if v := view(next); html(v) == before || html(v) != fresh(next) {
		t.Error("a changed bucket kept the charts drawn before it")
	}
}

// TestKeptParts_FilterListsFollowTheirOptions: a filter's options are
// rendered once per list, choice and scope, and a changed list (an ARGO
// sync, the catalogue) renders again, as options rendered afresh.
func TestKeptParts_FilterListsFollowTheirOptions(t *testing.T) {
	h := &Handler{}
	render := func(s templates.SelectOptions) string {
		var b strings.Builder
		if err := s.Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	all := portal.Scope{All: true}
	opts := []metrics.Option{{Value: "i1", Label: "cluster <one>"}, {Value: "i2", Label: "cluster two"}}
	got := render(h.keptOptions("installation", all, opts, "i2"))
	if want := render(options(opts, "i2")); got != want || !strings.Contains(got, `value="i2" selected`) {
		t.Fatalf("kept options\n%s\nwant\n%s", got, want)
	}
	if again := h.keptOptions("installation", all, slices.Clone(opts), "i2"); render(again) != got {
		t.Error("the same options rendered differently")
	}
	if other := render(h.keptOptions("installation", all, opts, "i1")); !strings.Contains(other, `value="i1" selected`) {
		t.Errorf("another choice kept the first one's rendering: %s", other)
	}
	synced := append(slices.Clone(opts), metrics.Option{Value: "i3", Label: "cluster three"})
	if after := render(h.keptOptions("installation", all, synced, "i2")); after != render(options(synced, "i2")) {
		t.Errorf("a new installation is missing from the kept list: %s", after)
	}
	mine := portal.Scope{Projects: []string{"neuro-sim"}}
	if scoped := render(h.keptOptions("installation", mine, opts[:1], "")); strings.Contains(scoped, "cluster two") {
		t.Errorf("a manager's list shows another scope's installation: %s", scoped)
	}
}

// recordsFake is a billing store whose page of records the test sets.
type recordsFake struct {
	BillingStore
	recs []billing.Record
}

func (f *recordsFake) BillingRecords(context.Context, billing.RecordFilter) ([]billing.Record, int64, error) {
	return slices.Clone(f.recs), int64(len(f.recs)), nil // a copy, as the cache hands out
}

// TestKeptParts_BillingRecordRowsFollowTheirRecords: a page of records is
// rendered once, and a record a sync changed (now reported) renders again.
func TestKeptParts_BillingRecordRowsFollowTheirRecords(t *testing.T) {
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	f := &recordsFake{}
	for i := range 3 {
		at := from + int64(i)*3600
		f.recs = append(f.recs, billing.Record{Key: strconv.Itoa(i + 1), From: at, To: at + 3600, Created: at + 3605, UsedCores: 8, TotalCores: 64})
	}
	h := &Handler{Deps: Deps{Billing: f}}
	lp, err := parseList(url.Values{}, billing.RecordSorts, "from", true)
	if err != nil {
		t.Fatal(err)
	}
	rows := func() string {
		t.Helper()
		v := templates.BillingView{}
		c := echo.New().NewContext(httptest.NewRequest("GET", "/billing", nil), httptest.NewRecorder())
		if err := h.billingRecordsView(c, billingQuery{List: lp}, &v); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		v.Records.Render(context.Background(), &b)
		return b.String()
	}
	fresh := func() string {
		var r templates.BillingRecordRows
		for i := range f.recs {
			r.List = append(r.List, recordRow(&f.recs[i]))
		}
		var b strings.Builder
		r.Render(context.Background(), &b)
		return b.String()
	}
	before := rows()
	if before != fresh() || strings.Count(before, "not reported") != 3 {
		t.Fatalf("kept rows differ from rows rendered afresh:\n%s", before)
	}
	if rows() != before {
		t.Error("the same records rendered differently")
	}
	f.recs[1].Sent = f.recs[1].Created + 60 // reported, as the next sync says
	if after := rows(); after != fresh() || strings.Count(after, "not reported") != 2 {
		t.Errorf("a record reported since kept its old row:\n%s", after)
	}
}

// TestKeptParts_UsageChartFollowsItsDays: the usage status chart is kept
// by its days and range, and a day a sync changed draws it again, as a
// chart drawn afresh.
func TestKeptParts_UsageChartFollowsItsDays(t *testing.T) {
	h := &Handler{}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tr := TimeRange{From: day, To: day.AddDate(0, 0, 30)}
	sum := usage.StatusSummary{}
	for i := range 30 {
		sum.Days = append(sum.Days, usage.StatusDay{Day: day.AddDate(0, 0, i), Loaded: int64(100 + i), Failed: int64(i % 3), TotalCharge: "1"})
	}
	html := func(v templates.ChartView) string {
		var b strings.Builder
		templates.Chart(v).Render(context.Background(), &b)
		return b.String()
	}
	fresh := func() string { return html(templates.BuildChart(usageStatusChart(sum, tr))) }
	first := html(h.usageChart(sum, tr))
	if first != fresh() {
		t.Fatal("the kept chart differs from a chart drawn afresh")
	}
	sum.Days = slices.Clone(sum.Days)
	if html(h.usageChart(sum, tr)) != first {
		t.Error("the same days drew another chart")
	}
	sum.Days[29].Failed = 90 // the next AMIE sync
	if again := html(h.usageChart(sum, tr)); again == first || again != fresh() {
		t.Error("a changed day kept the chart drawn before it")
	}
}
