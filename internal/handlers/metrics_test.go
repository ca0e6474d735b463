package handlers

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

func TestPushForm_Validate(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)
	count := &metrics.Definition{ID: "u", Name: "active_users", UnitType: "#", MetricType: "count"}
	requests := &metrics.Definition{ID: "r", Name: "api_requests", UnitType: "API reqs", MetricType: "aggregated"}
	cpu := &metrics.Definition{ID: "c", Name: "cpu_hours", UnitType: "CPU Time", MetricType: "aggregated"}
	ok := pushForm{Definition: "c", Value: "1843.25", Start: "2026-03-09T00:00", End: "2026-03-10T00:00"}
	cases := []struct {
		name  string
		def   *metrics.Definition
		edit  func(*pushForm)
		field string // "" means valid
		says  string
	}{
		{"valid", cpu, func(*pushForm) {}, "", ""},
		{"seconds accepted", cpu, func(f *pushForm) { f.End = "2026-03-10T12:29:59" }, "", ""},
		{"unknown definition", nil, func(*pushForm) {}, "definition", "Choose one"},
		{"no value", cpu, func(f *pushForm) { f.Value = "" }, "value", "Enter the value"},
		{"negative", cpu, func(f *pushForm) { f.Value = "-1" }, "value", "cannot be negative"},
		{"comma decimal", cpu, func(f *pushForm) { f.Value = "12,5" }, "value", "a dot for decimals"},
		{"exponent", cpu, func(f *pushForm) { f.Value = "1e3" }, "value", "a dot for decimals"},
		{"too large", cpu, func(f *pushForm) { f.Value = "2000000000000000" }, "value", "too large"},
		{"count type takes whole numbers", count, func(f *pushForm) { f.Value = "4.5" }, "value", "whole number"},
		{"counting unit takes whole numbers", requests, func(f *pushForm) { f.Value = "10.1" }, "value", "whole number"},
		{"count whole", count, func(f *pushForm) { f.Value = "45" }, "", ""},
		{"count whole with zero decimals", count, func(f *pushForm) { f.Value = "45.000" }, "", ""},
		// Exact: a float64 reads these as whole numbers (0 and 1).
		{"count refuses a tiny fraction", count, func(f *pushForm) { f.Value = "0." + strings.Repeat("0", 5000) + "1" }, "value",
			"active_users counts things (count, unit #): enter a whole number; 0.000000000000000000…000000000001 (5003 characters) is not one."},
		{"count refuses one and a bit", count, func(f *pushForm) { f.Value = "1.0000000000000000000001" }, "value", "enter a whole number"},
		{"too small", cpu, func(f *pushForm) { f.Value = "0." + strings.Repeat("0", 5000) + "1" }, "value", "too small"},
		{"too many digits", cpu, func(f *pushForm) { f.Value = "1." + strings.Repeat("0", 34) }, "value", "more than 34 significant digits"},
		{"largest with cents", cpu, func(f *pushForm) { f.Value = "999999999999999.99" }, "", ""},
		{"just above the largest", cpu, func(f *pushForm) { f.Value = "1000000000000000.01" }, "value", "too large"},
		{"far too large", cpu, func(f *pushForm) { f.Value = "99999999999999999999999999999999999999" }, "value", "too large"},
		{"no start", cpu, func(f *pushForm) { f.Start = "" }, "start", "began"},
		{"start not a time", cpu, func(f *pushForm) { f.Start = "yesterday" }, "start", "began"},
		{"start before 2000", cpu, func(f *pushForm) { f.Start = "1026-03-09T00:00" }, "start", "before 2000"},
		{"end before start", cpu, func(f *pushForm) { f.End = "2026-03-08T00:00" }, "end", "after the start"},
		{"end equal to start", cpu, func(f *pushForm) { f.End = f.Start }, "end", "after the start"},
		{"end in the future", cpu, func(f *pushForm) { f.End = "2026-03-10T12:31" }, "end", "in the future"},
		{"user id too long", cpu, func(f *pushForm) { f.UserID = strings.Repeat("u", 201) }, "user_id", "200 characters"},
		{"group id with a control character", cpu, func(f *pushForm) { f.GroupID = "vo\x00x" }, "group_id", "control characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := ok
			tc.edit(&f)
			in, errs := f.validate(tc.def, now)
			if tc.field == "" {
				if len(errs) != 0 {
					t.Fatalf("refused: %v", errs)
				}
				if in.End.Location() != time.UTC || !in.Start.Before(in.End) {
					t.Fatalf("parsed %+v", in)
				}
				return
			}
			if !strings.Contains(errs[tc.field], tc.says) {
				t.Fatalf("errors %v, want %s to say %q", errs, tc.field, tc.says)
			}
			if len(errs) != 1 {
				t.Errorf("more than one problem: %v", errs)
			}
		})
	}
	if in, _ := ok.validate(cpu, now); in.Value.String() != "1843.25" || !in.Start.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("parsed %+v", in)
	}
	big := ok
	big.Value = "999999999999999.99"
	if in, _ := big.validate(cpu, now); in.Value.String() != "999999999999999.99" {
		t.Fatalf("parsed %v", in.Value)
	}
}

func TestParseMetricParams_GranularityAndWholePeriods(t *testing.T) {
	now := time.Date(2026, 3, 11, 15, 0, 0, 0, time.UTC) // a Wednesday
	h := &Handler{Deps: Deps{Now: func() time.Time { return now }}}
	parse := func(query string) (metricParams, error) {
		req := httptest.NewRequest("GET", "/metrics?"+query, nil)
		req = req.WithContext(portal.NewContextWithUser(req.Context(), &portal.User{Subject: "s", Member: []string{"a"}}))
		return h.parseMetricParams(echo.New().NewContext(req, httptest.NewRecorder()), "90d")
	}
	cases := []struct {
		query, granularity string
		from, to           string
	}{
		{"range=7d", metrics.Daily, "2026-03-04", "2026-03-12"},
		{"", metrics.Weekly, "2025-12-08", "2026-03-16"},
		{"range=1y", metrics.Monthly, "2025-03-01", "2026-04-01"},
		{"range=1y&granularity=week", metrics.Weekly, "2025-03-10", "2026-03-16"},
		{"from=2026-01-15&to=2026-02-10&granularity=month", metrics.Monthly, "2026-01-01", "2026-03-01"},
	}
	for _, tc := range cases {
		mp, err := parse(tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if mp.Granularity != tc.granularity || mp.Filter.From.Format("2006-01-02") != tc.from || mp.Filter.To.Format("2006-01-02") != tc.to {
			t.Errorf("%q: %s %v to %v, want %s %s to %s", tc.query, mp.Granularity, mp.Filter.From, mp.Filter.To, tc.granularity, tc.from, tc.to)
		}
		if !mp.Filter.Scope.Allows("a") || mp.Filter.Scope.All {
			t.Errorf("%q: scope %+v", tc.query, mp.Filter.Scope)
		}
	}
	for _, bad := range []string{"granularity=hour", "from=2020-01-01&to=2026-01-01&granularity=day", "range=2w"} {
		if _, err := parse(bad); portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestTopSeries_KeepsTheLargestAndAddsUpTheRest(t *testing.T) {
	day := func(n int) time.Time { return time.Date(2026, 1, 1+n, 0, 0, 0, 0, time.UTC) }
	var pts []metrics.PeriodValue
	for k := range 8 {
		for d := range 2 {
			pts = append(pts, metrics.PeriodValue{Key: string(rune('a' + k)), Label: "P" + string(rune('a'+k)), Period: day(d), Total: float64(k + 1)})
		}
	}
	s := topSeries(pts, 6)
	if len(s) != 6 || s[0].Name != "Ph" || s[4].Name != "Pd" || s[5].Name != "3 others" {
		t.Fatalf("series %+v", s)
	}
	if len(s[5].Points) != 2 || s[5].Points[0].V != 1+2+3 || !s[5].Points[0].T.Before(s[5].Points[1].T) {
		t.Fatalf("others %+v", s[5].Points)
	}
	if s := topSeries(pts[:12], 6); len(s) != 6 || s[5].Name != "Pa" {
		t.Fatalf("exactly six series are all drawn: %+v", s)
	}
}
