package costs

import (
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

func d(s string) decimal.Decimal { return decimal.MustParse(s) }

func day(s string) time.Time {
	t, err := ParseDay(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRateFor_Precedence(t *testing.T) {
	tb := &Table{Base: "EUR", Rates: []Rate{
		{ID: 1, Source: "vergeos", Measure: MeasureCoreHours, Scope: "*", Price: d("0.01"), Currency: "EUR", ValidFrom: day("2026-01-01")},
		{ID: 2, Source: "vergeos", Measure: MeasureCoreHours, Scope: "*", Price: d("0.02"), Currency: "EUR", ValidFrom: day("2026-03-15")},
		{ID: 3, Source: "vergeos", Measure: MeasureCoreHours, Scope: "t1", Price: d("0.005"), Currency: "EUR", ValidFrom: day("2026-02-01")},
		// A correction of version 2, entered later with the same date.
		{ID: 4, Source: "vergeos", Measure: MeasureCoreHours, Scope: "*", Price: d("0.025"), Currency: "EUR", ValidFrom: day("2026-03-15")},
	}}
	cases := []struct {
		scope, day string
		want       int64
	}{
		{"t2", "2025-12-31", 0},
		{"t2", "2026-01-01", 1},
		{"t2", "2026-03-14", 1},
		{"t2", "2026-03-15", 4},
		{"t1", "2026-01-20", 1}, // before the tenant's own rate: the general one
		{"t1", "2026-03-20", 3}, // the tenant's own rate wins over a newer general one
	}
	for _, c := range cases {
		r, ok := tb.RateFor("vergeos", MeasureCoreHours, c.scope, day(c.day))
		if (c.want == 0) == ok || r.ID != c.want {
			t.Errorf("%s on %s: rate %d (%v), want %d", c.scope, c.day, r.ID, ok, c.want)
		}
	}
	if !tb.Superseded(tb.Rates[1]) || tb.Superseded(tb.Rates[3]) || tb.Superseded(tb.Rates[0]) {
		t.Error("superseded versions")
	}
	if u := tb.AffectedUntil("vergeos", MeasureCoreHours, "*", day("2026-01-01"), 1); !u.Equal(day("2026-03-15")) {
		t.Errorf("version 1 decides until %v", u)
	}
	if u := tb.AffectedUntil("vergeos", MeasureCoreHours, "*", day("2026-03-15"), 4); !u.IsZero() {
		t.Errorf("version 4 decides until %v, want open", u)
	}
}

func TestPrice_ConvertsWithTheFXOfTheDay(t *testing.T) {
	tb := &Table{Base: "EUR",
		Rates: []Rate{{ID: 7, Source: "vergeos", Measure: MeasureGPUHours, Scope: "*", Price: d("0.85"), Currency: "CHF", ValidFrom: day("2026-01-01")},
			{ID: 8, Source: "amie", Measure: MeasureSU, Scope: "*", Price: d("0.01"), Currency: "USD", ValidFrom: day("2026-01-01")}},
		FX: []FX{{ID: 1, Currency: "CHF", PerBase: d("0.94"), ValidFrom: day("2026-01-01")},
			{ID: 2, Currency: "CHF", PerBase: d("0.93"), ValidFrom: day("2026-03-01")}},
	}
	u := Usage{Project: "p", Day: day("2026-02-27"), Source: "vergeos", Measure: MeasureGPUHours, Scope: "t", Quantity: d("31"), Unit: "GPU-hours"}
	l := tb.Price(u)
	// 31 × 0.85 = 26.35 CHF; / 0.94 = 28.0319148936170212... → 10 places
	if !l.Priced() || l.RateID != 7 || l.Amount.String() != "26.35" || l.FXID != 1 || l.AmountBase.String() != "28.0319148936" {
		t.Fatalf("%+v", l)
	}
	u.Day = day("2026-03-02")
	if l := tb.Price(u); l.FXID != 2 || l.AmountBase.String() != "28.3333333333" {
		t.Fatalf("on the 2nd of March: %+v", l)
	}
	// No rate, or no exchange rate: unpriced, never zero.
	u.Measure = MeasureVGPUHours
	if l := tb.Price(u); l.Priced() || !strings.Contains(l.Unpriced, "no rate prices") || l.RateID != 0 {
		t.Fatalf("%+v", l)
	}
	u2 := Usage{Day: day("2026-03-02"), Source: "amie", Measure: MeasureSU, Scope: "r", Quantity: d("5")}
	if l := tb.Price(u2); l.Priced() || !strings.Contains(l.Unpriced, "no USD exchange rate") {
		t.Fatalf("%+v", l)
	}
	// The base currency converts at 1, exactly.
	tb.Rates = append(tb.Rates, Rate{ID: 9, Source: "obi", Measure: MeasureCredits, Scope: "*", Price: d("0.05"), Currency: "EUR", ValidFrom: day("2026-01-01")})
	l = tb.Price(Usage{Day: day("2026-03-02"), Source: "obi", Measure: MeasureCredits, Scope: "lab", Quantity: d("1234.567")})
	if l.AmountBase.String() != "61.72835" || l.FXRate.String() != "1" || l.FXID != 0 {
		t.Fatalf("%+v", l)
	}
}

func TestParseCard_GoodAndRoundTrip(t *testing.T) {
	b := `{"base_currency": "EUR",
	 "rates": [{"source": "vergeos", "measure": "cpu_core_hours", "scope": "*", "price": "0.012", "currency": "CHF", "valid_from": "2026-01-01"},
	           {"source": "argo", "measure": "cpu_hours", "scope": "abc", "price": 0.015, "currency": "EUR", "valid_from": "2026-01-01"}],
	 "fx": [{"currency": "CHF", "per_base": "0.94", "valid_from": "2026-01-01"}]}`
	rates, fx, err := ParseCard([]byte(b), CardContext{Base: "EUR", ArgoDefinitions: map[string]bool{"cpu_hours": true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 2 || rates[1].Price.String() != "0.015" || len(fx) != 1 || !fx[0].ValidFrom.Equal(day("2026-01-01")) {
		t.Fatalf("%+v %+v", rates, fx)
	}
	tb := &Table{Base: "EUR"}
	for i, r := range rates {
		tb.Rates = append(tb.Rates, Rate{ID: int64(i + 1), Source: r.Source, Measure: r.Measure, Scope: r.Scope, Price: r.Price, Currency: r.Currency, ValidFrom: r.ValidFrom})
	}
	tb.FX = []FX{{ID: 1, Currency: "CHF", PerBase: fx[0].PerBase, ValidFrom: fx[0].ValidFrom}}
	out, _ := jsonMarshal(ExportCard(tb))
	rates2, fx2, err := ParseCard(out, CardContext{Base: "EUR"})
	if err != nil || len(rates2) != 2 || len(fx2) != 1 || !strings.Contains(string(out), `"price":"0.012"`) {
		t.Fatalf("round trip: %s %v", out, err)
	}
}

func TestParseCard_EveryProblemListed(t *testing.T) {
	b := `{"base_currency": "USD",
	 "rates": [{"source": "nosuch", "measure": "x", "scope": "*", "price": "1", "currency": "EUR", "valid_from": "2026-01-01"},
	           {"source": "vergeos", "measure": "cpu_hours", "scope": "", "price": "-1", "currency": "eur", "valid_from": "2026-13-01"},
	           {"source": "argo", "measure": "nosuch_def", "scope": "*", "price": "abc", "currency": "EUR", "valid_from": "2026-01-01"},
	           {"source": "amie", "measure": "su", "scope": "*", "price": "0.1", "currency": "JPY", "valid_from": "2026-01-01"},
	           {"source": "obi", "measure": "credits", "scope": "*", "price": "0.05", "currency": "EUR", "valid_from": "2026-01-01"},
	           {"source": "obi", "measure": "credits", "scope": "*", "price": "0.06", "currency": "EUR", "valid_from": "2026-01-01"}],
	 "fx": [{"currency": "EUR", "per_base": "1", "valid_from": "2026-01-01"}, {"currency": "CHF", "per_base": "0", "valid_from": "2026-01-01"}]}`
	_, _, err := ParseCard([]byte(b), CardContext{Base: "EUR", ArgoDefinitions: map[string]bool{"cpu_hours": true}})
	p, ok := err.(*Problems)
	if !ok {
		t.Fatalf("%v", err)
	}
	want := []string{
		`base_currency is "USD", but this site's base currency is EUR`,
		`fx[0].currency: EUR is the base currency`,
		`fx[1].per_base: 0 must be more than 0`,
		`rates[0].source: "nosuch"`,
		`rates[1].measure: "cpu_hours" is not a measure of vergeos`,
		`rates[1].scope is empty`,
		`rates[1].price: -1 is negative`,
		`rates[1].currency: "eur"`,
		`rates[1].valid_from: "2026-13-01" is not a date`,
		`rates[2].measure: ARGO has no metric definition named "nosuch_def"`,
		`rates[2].price:`,
		`rates[3].currency: JPY has no exchange rate valid on 2026-01-01`,
		`rates[5]: obi credits in scope * from 2026-01-01 is also rates[4]`,
	}
	if len(p.List) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(p.List), len(want), strings.Join(p.List, "\n"))
	}
	all := strings.Join(p.List, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no %q in:\n%s", w, all)
		}
	}
	for _, c := range []struct{ body, want string }{
		{`{"base_currency": "EUR", "rates": [], "extra": 1}`, `unknown field "extra"`},
		{`{"base_currency": "EUR", "rates": [{"price": {"x": 1}}]}`, "must be a decimal number written as a string"},
		{`{"base_currency": "EUR",`, "not valid JSON"},
		{``, "the file is empty"},
		{`{"base_currency": "EUR"} {}`, "more than one JSON value"},
	} {
		_, _, err := ParseCard([]byte(c.body), CardContext{Base: "EUR"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.body, err, c.want)
		}
	}
	// A currency whose exchange rate is already stored needs none in the card.
	_, _, err = ParseCard([]byte(`{"base_currency":"EUR","rates":[{"source":"amie","measure":"su","scope":"*","price":"1","currency":"USD","valid_from":"2026-02-01"}],"fx":[]}`),
		CardContext{Base: "EUR", StoredFX: []FX{{Currency: "USD", PerBase: d("1.08"), ValidFrom: day("2026-01-01")}}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVergeOSUsage(t *testing.T) {
	base := day("2026-03-01").Unix()
	var ss []TenantSample
	for h := int64(1); h <= 26; h++ { // 01:00 on the 1st to 02:00 on the 2nd
		if h == 10 || h == 11 {
			continue // two samples missing: the 12:00 one stands for one hour only
		}
		ss = append(ss, TenantSample{Timestamp: base + h*3600, CoreCount: 16, RAMUsedMB: 1536, TierUsed: [6]int64{0, 3 << 30}, GPUsUsed: h % 2})
	}
	us := VergeOSUsage("p", "t", 4, "tenant_stats_history_long", ss, day("2026-03-01"))
	got := map[string]string{}
	for _, u := range us {
		got[u.Day.Format("02")+" "+u.Measure] = u.Quantity.String()
		if u.Scope != "t" || u.Project != "p" || !strings.Contains(u.Origin, "tenant t ($key 4)") {
			t.Fatalf("%+v", u)
		}
	}
	// Day 1: samples 01:00..24:00 without 10:00 and 11:00 = 22 samples, each an hour
	// (the first stands for the hour before it: 00:00-01:00 of the 1st).
	want := map[string]string{
		"01 cpu_core_hours": "352", "01 ram_gb_hours": "33", "01 storage_tier1_gb_hours": "66", "01 gpu_hours": "11",
		"02 cpu_core_hours": "32", "02 ram_gb_hours": "3", "02 storage_tier1_gb_hours": "6", "02 gpu_hours": "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("measures %v, want only %v (zero measures give no usage)", got, want)
	}
	// From the 2nd on, the 1st's samples only set the first weight.
	us = VergeOSUsage("p", "t", 4, "x", ss, day("2026-03-02"))
	if len(us) != 4 || us[0].Quantity.String() != "32" {
		t.Fatalf("%+v", us)
	}
}

func TestArgoAndAMIEAndOBIUsage(t *testing.T) {
	at := day("2026-03-03").Unix()
	ms := []ArgoMetric{
		{ID: "a", Installation: "i1", Definition: "cpu_hours", MetricType: "aggregated", UnitType: "CPU Time", Start: at, Value: d("10.5")},
		{ID: "b", Installation: "i1", Definition: "cpu_hours", MetricType: "aggregated", UnitType: "CPU Time", Start: at + 3600, Value: d("0.25")},
		{ID: "c", Installation: "i1", Definition: "users", MetricType: "count", UnitType: "#", Start: at, Value: d("45")},
		{ID: "e", Installation: "i1", Definition: "users", MetricType: "count", UnitType: "#", Start: at + 60, Value: d("46")},
	}
	us := ArgoUsage("p", ms)
	if len(us) != 2 || us[0].Quantity.String() != "10.75" || us[1].Quantity.String() != "45.5" || us[0].Unit != "CPU Time of cpu_hours" {
		t.Fatalf("%+v", us)
	}
	rs := []AMIERecord{{Upload: 2, LocalRecordID: "r1", Resource: "lynx", Start: at + 5, Charge: d("12.5")}, {Upload: 3, LocalRecordID: "r2", Resource: "lynx", Start: at + 90000, Charge: d("1")},
		{Upload: 2, LocalRecordID: "r3", Resource: "lynx", Start: at + 7, Charge: d("0.5")}}
	us = AMIEUsage("p", rs)
	if len(us) != 2 || us[0].Quantity.String() != "13.0" || !strings.Contains(us[0].Origin, "r1, r3") || !strings.Contains(us[0].Origin, "#2") {
		t.Fatalf("%+v", us)
	}
	us = OBIUsage("p", []OBISpend{{Day: at, VlabID: "lab", Amount: d("3.2"), Jobs: 4}, {Day: at + 86400, VlabID: "lab", Amount: d("0")}})
	if len(us) != 1 || us[0].Scope != "lab" || !strings.Contains(us[0].Origin, "4 finished jobs") {
		t.Fatalf("%+v", us)
	}
}

func TestBuildStatement_RateChangeRoundingAndUnpriced(t *testing.T) {
	tb := &Table{Base: "EUR", Rates: []Rate{
		{ID: 1, Source: "vergeos", Measure: MeasureCoreHours, Scope: "*", Price: d("0.012"), Currency: "CHF", ValidFrom: day("2026-01-01")},
		{ID: 2, Source: "vergeos", Measure: MeasureCoreHours, Scope: "*", Price: d("0.015"), Currency: "CHF", ValidFrom: day("2026-03-15")},
		{ID: 3, Source: "argo", Measure: "tiny", Scope: "*", Price: d("0.0001"), Currency: "EUR", ValidFrom: day("2026-01-01")},
	}, FX: []FX{{ID: 1, Currency: "CHF", PerBase: d("0.94"), ValidFrom: day("2026-01-01")}}}
	var lines []Line
	for dd := 1; dd <= 31; dd++ {
		dt := time.Date(2026, 3, dd, 0, 0, 0, 0, time.UTC)
		lines = append(lines, tb.Price(Usage{Project: "p", Day: dt, Source: "vergeos", Measure: MeasureCoreHours, Scope: "t", Quantity: d("384"), Unit: "core-hours"}))
		lines = append(lines, tb.Price(Usage{Project: "p", Day: dt, Source: "argo", Measure: "tiny", Scope: "i", Quantity: d("1"), Unit: "# of tiny"}))
		lines = append(lines, tb.Price(Usage{Project: "p", Day: dt, Source: "argo", Measure: "api_requests", Scope: "i", Quantity: d("1000"), Unit: "API reqs of api_requests"}))
	}
	st := BuildStatement("p", "P", day("2026-03-10"), "EUR", lines)
	if len(st.Lines) != 2 {
		t.Fatalf("lines %+v (the argo line charges 0.00 and is dropped)", st.Lines)
	}
	a, b := st.Lines[0], st.Lines[1]
	// 14 days × 384 × 0.012 = 64.512 CHF; / 0.94 per day, summed exactly, then to cents.
	if a.RateID != 1 || a.Days != 14 || a.Quantity.String() != "5376" || a.Amount.String() != "64.512" || a.PerUnit != "CHF per core-hour" ||
		a.Charged.String() != "68.63" || !a.Last.Equal(day("2026-03-14")) {
		t.Fatalf("first line %+v", a)
	}
	if b.RateID != 2 || b.Days != 17 || b.Amount.String() != "97.920" || b.Charged.String() != "104.17" || !b.First.Equal(day("2026-03-15")) {
		t.Fatalf("second line %+v", b)
	}
	if st.Total.String() != "172.80" || len(st.Totals) != 1 || st.Totals[0].Total.String() != "172.80" {
		t.Fatalf("total %s %+v", st.Total, st.Totals)
	}
	if len(st.Unpriced) != 1 || st.Unpriced[0].Quantity.String() != "31000" || st.Unpriced[0].Days != 31 || st.Unpriced[0].Measure != "api_requests" {
		t.Fatalf("unpriced %+v", st.Unpriced)
	}
}

func TestEvaluateBudget(t *testing.T) {
	b := Budget{Project: "p", Period: Period{PeriodMonth, day("2026-03-01")}, Amount: d("1000")}
	st := EvaluateBudget(b, d("500"), time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), d("80"))
	// 10 days elapsed (the 10th counts), 50 a day: 500 left lasts 10 more days.
	if st.Elapsed != 10 || st.Burn.String() != "50.000000" || st.Remaining.String() != "500" || st.UsedPct.String() != "50.0" ||
		!st.RunOut.Equal(day("2026-03-20")) || !st.RunsOutEarly || st.Level != LevelWarn || st.Projected.String() != "1550.00" {
		t.Fatalf("%+v", st)
	}
	st = EvaluateBudget(b, d("100"), time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), d("80"))
	if st.Level != LevelOK || st.RunsOutEarly {
		t.Fatalf("%+v", st)
	}
	st = EvaluateBudget(b, d("1000.01"), time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC), d("80"))
	if st.Level != LevelOver || st.Elapsed != 31 || !st.AsOf.Equal(day("2026-04-01")) {
		t.Fatalf("%+v", st)
	}
	if st := EvaluateBudget(b, d("0"), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), d("80")); !st.RunOut.IsZero() || st.Level != LevelOK {
		t.Fatalf("%+v", st)
	}
}

func TestPeriods(t *testing.T) {
	for _, c := range []struct {
		kind, label, start string
		days               int
	}{
		{"month", "2026-02", "2026-02-01", 28}, {"quarter", "2026-Q2", "2026-04-01", 91}, {"year", "2028", "2028-01-01", 366},
	} {
		p, err := ParsePeriod(c.kind, c.label)
		if err != nil || !p.Start.Equal(day(c.start)) || p.Days() != c.days || p.Label() != c.label {
			t.Errorf("%+v: %+v %v", c, p, err)
		}
		if q := PeriodOf(c.kind, p.Start.AddDate(0, 0, 20)); q != p {
			t.Errorf("PeriodOf %+v", q)
		}
	}
	for _, c := range [][2]string{{"quarter", "2026-Q5"}, {"month", "2026-3"}, {"year", "26"}, {"week", "2026"}} {
		if _, err := ParsePeriod(c[0], c[1]); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

func TestCompare(t *testing.T) {
	c := Compare(Check{AMIE: d("1040"), Argo: d("1000"), HasAMIE: true, HasArgo: true}, d("5"))
	if c.Flagged || c.Diff.String() != "40" || c.DiffPct.Decimal.String() != "4.0" {
		t.Fatalf("%+v", c)
	}
	if c := Compare(Check{AMIE: d("1060"), Argo: d("1000")}, d("5")); !c.Flagged {
		t.Fatal("6% is over 5%")
	}
	if c := Compare(Check{AMIE: d("5"), Argo: d("0")}, d("5")); !c.Flagged || c.DiffPct.Valid {
		t.Fatalf("%+v", c)
	}
	if c := Compare(Check{}, d("5")); c.Flagged {
		t.Fatal("nothing against nothing is no difference")
	}
}

func FuzzParseCard(f *testing.F) {
	f.Add([]byte(`{"base_currency":"EUR","rates":[{"source":"vergeos","measure":"cpu_core_hours","scope":"*","price":"0.012","currency":"EUR","valid_from":"2026-01-01"}],"fx":[]}`))
	f.Add([]byte(`{"base_currency":"EUR","rates":[{"price":1e400}],"fx":[{"per_base":"-0"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rates, fx, err := ParseCard(b, CardContext{Base: "EUR"})
		if err != nil {
			if _, ok := err.(*Problems); !ok {
				t.Fatalf("not a *Problems: %v", err)
			}
			return
		}
		for _, r := range rates {
			if r.Price.Sign() < 0 || !IsSource(r.Source) || r.ValidFrom.IsZero() {
				t.Fatalf("accepted %+v", r)
			}
		}
		for _, x := range fx {
			if x.PerBase.Sign() <= 0 {
				t.Fatalf("accepted %+v", x)
			}
		}
	})
}
