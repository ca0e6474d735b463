package handlers

import (
	"math/big"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// The areas' parsers of outside input: the query strings of the metrics,
// billing and budgets pages, and the values typed into the metric push
// and budget request forms. Each target checks that no input panics and
// that what a parser accepts is inside the bounds the handler and its SQL
// rely on; a refusal must be a clear EINVALID (a 400 or a field error),
// never a 500.

// fuzzNow is the handlers' clock in these targets.
var fuzzNow = time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)

// fuzzQuery parses raw as a query string; ok is false when it is not one
// (the router would not hand it to a handler either).
func fuzzQuery(raw string) (url.Values, bool) {
	q, err := url.ParseQuery(raw)
	return q, err == nil
}

// mustBeInvalid fails unless err is a refusal that names its parameter.
func mustBeInvalid(t *testing.T, raw string, err error) {
	t.Helper()
	if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), ":") {
		t.Fatalf("%q was refused with %v (code %s), want EINVALID naming the parameter", raw, err, portal.ErrorCode(err))
	}
}

func FuzzParseMetricParams(f *testing.F) {
	for _, s := range []string{"", "range=7d", "range=1y&granularity=week", "granularity=hour", "granularity=day&range=1y",
		"from=2020-01-01&to=2026-01-01&granularity=day", "from=2026-01-15&to=2026-02-10&granularity=month",
		"from=0001-01-01&to=9999-12-31", "from=2026-03-11&to=2026-03-11&granularity=week", "project=A&provider=%00&installation=x&definition=y",
		"range=24h&granularity=month", "from=2024-02-29&to=2024-02-29&granularity=day"} {
		f.Add(s)
	}
	h := &Handler{Deps: Deps{Now: func() time.Time { return fuzzNow }}}
	u := &portal.User{Subject: "s", Member: []string{"a"}}
	f.Fuzz(func(t *testing.T, raw string) {
		q, ok := fuzzQuery(raw)
		if !ok {
			return
		}
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.URL.RawQuery = q.Encode()
		req = req.WithContext(portal.NewContextWithUser(req.Context(), u))
		mp, err := h.parseMetricParams(echo.New().NewContext(req, httptest.NewRecorder()), "90d")
		if err != nil {
			mustBeInvalid(t, raw, err)
			return
		}
		g := mp.Granularity
		if g != metrics.Daily && g != metrics.Weekly && g != metrics.Monthly {
			t.Fatalf("%q gave granularity %q", raw, g)
		}
		from, to := mp.Range.From, mp.Range.To
		if !from.Before(to) || !from.Equal(mp.Filter.From) || !to.Equal(mp.Filter.To) {
			t.Fatalf("%q gave the range %v..%v, filter %v..%v", raw, from, to, mp.Filter.From, mp.Filter.To)
		}
		// Whole periods: the range starts and ends on period boundaries.
		if !metrics.PeriodStart(from, g).Equal(from) || !metrics.PeriodStart(to, g).Equal(to) {
			t.Fatalf("%q gave %v..%v, not whole %ss", raw, from, to, g)
		}
		// Daily rows stay bounded (widening adds at most a day at each end).
		if g == metrics.Daily && to.Sub(from) > maxDailySpan+48*time.Hour {
			t.Fatalf("%q gave %v of daily rows", raw, to.Sub(from))
		}
		// The filters stay the user's: the URL cannot widen the scope.
		if mp.Filter.Scope.All || !mp.Filter.Scope.Allows("a") || mp.Filter.Scope.Allows("b") {
			t.Fatalf("%q widened the scope to %+v", raw, mp.Filter.Scope)
		}
		if mp.Filter.ProjectID != q.Get("project") || mp.Filter.DefinitionID != q.Get("definition") {
			t.Fatalf("%q: filter %+v", raw, mp.Filter)
		}
	})
}

func FuzzMetricPushForm(f *testing.F) {
	for _, s := range []struct {
		value, start, end string
		count             bool
	}{
		{"1843.25", "2026-03-09T00:00", "2026-03-10T00:00", false},
		{"45", "2026-03-09T00:00", "2026-03-10T12:29:59", true},
		{"4.5", "2026-03-09T00:00", "2026-03-10T00:00", true},
		{"-1", "1999-12-31T23:59", "2026-03-12T00:00", false},
		{"1e3", "2026-02-30T00:00", "2026-03-10T25:00", false},
		{"999999999999999999999999999999", "2026-03-10T00:00", "2026-03-10T00:00", false},
		{"1000000000000000", "0000-01-01T00:00", "9999-12-31T23:59:59", true},
		{"0.0000000000000000000001", "2026-03-09T00:00:60", "2026-03-09T00:01", false},
		{"12,5", " 2026-03-09T00:00", "2026-03-09T00:00Z", false},
		{"999999999999999.99", "2026-03-09T00:00", "2026-03-10T00:00", false},
		{"0." + strings.Repeat("0", 5000) + "1", "2026-03-09T00:00", "2026-03-10T00:00", true},
		{"1.0000000000000000000001", "2026-03-09T00:00", "2026-03-10T00:00", true},
	} {
		f.Add(s.value, s.start, s.end, s.count)
	}
	f.Fuzz(func(t *testing.T, value, start, end string, count bool) {
		def := &metrics.Definition{ID: "d", Name: "cpu_hours", UnitType: "CPU Time", MetricType: "aggregated"}
		if count {
			def.MetricType = "count"
		}
		in, errs := pushForm{Definition: "d", Value: value, Start: start, End: end}.validate(def, fuzzNow)
		for field, msg := range errs {
			if msg == "" || !slices.Contains([]string{"value", "start", "end"}, field) {
				t.Fatalf("(%q, %q, %q): error %q on %q", value, start, end, msg, field)
			}
		}
		if errs["value"] == "" {
			// Accepted: exactly the number typed, in range, whole when counting.
			v := in.Value
			exact, ok := new(big.Rat).SetString(value)
			if !ok || exact.Cmp(ratOf(v)) != 0 || v.Sign() < 0 || v.Cmp(decimal.MustParse("1E+15")) > 0 || (count && !exact.IsInt()) ||
				!plainDecimal.MatchString(value) {
				t.Fatalf("value %q accepted as %v (counting: %v)", value, v, count)
			}
		} else if exact, ok := new(big.Rat).SetString(value); ok && count && !exact.IsInt() && plainDecimal.MatchString(value) &&
			!strings.Contains(errs["value"], "whole number") && !strings.Contains(errs["value"], "significant digits") {
			// Refused while counting: a fraction is told it is not whole.
			t.Fatalf("value %q refused with %q", value, errs["value"])
		}
		if errs["start"] == "" && errs["end"] == "" {
			s, e := in.Start, in.End
			if s.Location() != time.UTC || e.Location() != time.UTC || s.Year() < 2000 || !e.After(s) || e.After(fuzzNow) {
				t.Fatalf("period (%q, %q) accepted as %v..%v", start, end, s, e)
			}
		}
		for _, s := range []string{start, end} {
			tm, ok := parseFormTime(s)
			if !ok {
				continue
			}
			// What the form accepts, it shows again in its own format.
			again, ok := parseFormTime(tm.Format(formTime + ":05"))
			if !ok || !again.Equal(tm) {
				t.Fatalf("%q parsed as %v, which does not parse back (%v)", s, tm, again)
			}
		}
	})
}

func FuzzParseBillingQuery(f *testing.F) {
	for _, s := range []string{"", "range=1y&page=2&sort=-created", "range=forever", "unsent=1", "unsent=yes", "sort=nonsense&range=x&unsent=2",
		"from=2026-01-01&to=2026-01-31&sort=-cpu&size=25&page=3", "page=99999999999999999&size=500", "sort=-"} {
		f.Add(s)
	}
	h := &Handler{Deps: Deps{Now: func() time.Time { return fuzzNow }}}
	keys := make([]string, len(billingSorts))
	for i, s := range billingSorts {
		keys[i] = s.Key
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, ok := fuzzQuery(raw)
		if !ok {
			return
		}
		bq, err := h.parseBillingQuery(q)
		if err != nil {
			mustBeInvalid(t, raw, err)
			return
		}
		bf := bq.filter()
		if !bf.From.Before(bf.To) || bf.Limit < 1 || bf.Limit > MaxPageSize || bf.Offset < 0 || !slices.Contains(keys, bf.Sort) {
			t.Fatalf("%q gave the filter %+v", raw, bf)
		}
		if bf.Unsent != (q.Get("unsent") == "1") {
			t.Fatalf("%q: unsent %v", raw, bf.Unsent)
		}
	})
}

func FuzzBudgetFilters(f *testing.F) {
	for _, s := range []string{"", "range=1y&sort=-cost&type=storage&page=2", "type=nonsense", "type=", "warn=1&lab=x", "state=pending,denied&sort=-amount",
		"state=nonsense", "state=pending,,applied", "state=,", "from=2026-01-01&to=2026-01-02&type=oneshot", "page=0&size=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, ok := fuzzQuery(raw)
		if !ok {
			return
		}
		// The overview's filters: any lab (the scope limits it in SQL),
		// warnings only for exactly warn=1.
		if bf := parseBudgetFilter(q); bf.Lab != q.Get("lab") || bf.Warn != (q.Get("warn") == "1") {
			t.Fatalf("%q gave %+v", raw, bf)
		}
		// A project's jobs.
		jf, tr, lp, err := parseJobFilter(q, fuzzNow)
		if err != nil {
			mustBeInvalid(t, raw, err)
		} else if (jf.Type != "" && !slices.Contains(jobTypes, jf.Type)) || !slices.Contains(budgets.JobSorts, jf.Sort) ||
			jf.Limit < 1 || jf.Limit > MaxPageSize || jf.Offset < 0 || jf.Offset != lp.Offset() ||
			!jf.From.Equal(tr.From) || !jf.To.Equal(tr.To) || !jf.From.Before(jf.To) {
			t.Fatalf("%q gave the job filter %+v", raw, jf)
		}
		// The request lists' state filter.
		req := httptest.NewRequest("GET", "/requests", nil)
		req.URL.RawQuery = q.Encode()
		req = req.WithContext(portal.NewContextWithUser(req.Context(), &portal.User{Subject: "someone", Member: []string{"neuro-sim"}}))
		rf, _, err := requestList(echo.New().NewContext(req, httptest.NewRecorder()))
		if err != nil {
			mustBeInvalid(t, raw, err)
			return
		}
		for _, s := range rf.States {
			if !slices.Contains(budgets.States, s) {
				t.Fatalf("%q gave the state %q", raw, s)
			}
		}
		if rf.Scope.All || len(rf.Scope.Projects) != 1 || rf.Scope.Projects[0] != "neuro-sim" || rf.RequestedBy != "" || rf.Limit < 1 || rf.Limit > MaxPageSize || rf.Offset < 0 {
			t.Fatalf("%q gave the request filter %+v", raw, rf)
		}
	})
}

func ratOf(d decimal.Decimal) *big.Rat {
	r, _ := new(big.Rat).SetString(d.String())
	return r
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"250", "250.50", " 250.5 ", "0", "0.00", "-5", "1.234", "1e3", "abc", "", "1,000", "9999999999999.99",
		"99999999999999", "0.001", "1.000", "00000000000001.1", "1." + strings.Repeat("0", 400) + "1", "٣", "1." + strings.Repeat("0", 400),
		"99999999999999999999", strings.Repeat("0", 50) + "1"} {
		f.Add(s)
	}
	limit := decimal.MustParse("10000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		d, msg := parseAmount(s)
		if msg != "" {
			if !d.IsZero() {
				t.Fatalf("%q refused (%s) but gave %s", s, msg, d)
			}
			// A well-formed amount that is too big is told so, with the limit.
			if exact, ok := new(big.Rat).SetString(strings.TrimSpace(s)); ok && amountText.MatchString(strings.TrimSpace(s)) &&
				exact.Cmp(new(big.Rat).SetInt64(10_000_000_000_000)) >= 0 && !strings.Contains(msg, "too big") {
				t.Fatalf("%q refused with %q", s, msg)
			}
			return
		}
		if d.Sign() <= 0 || d.Places() > 2 || d.Cmp(limit) >= 0 || !amountText.MatchString(strings.TrimSpace(s)) {
			t.Fatalf("%q accepted as %s", s, d)
		}
		// What is accepted reads back the same, as OBI will be sent it.
		again, msg := parseAmount(d.StringFixed(2))
		if msg != "" || !again.Equal(d) {
			t.Fatalf("%q accepted as %s, which reads back as %s (%s)", s, d, again, msg)
		}
		// The exact value typed, however many zeros it carries.
		if in, ok := new(big.Rat).SetString(strings.TrimSpace(s)); !ok || in.Cmp(ratOf(d)) != 0 {
			t.Fatalf("%q accepted as %s but is %v", s, d, in)
		}
	})
}
