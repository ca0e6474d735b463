package budgets

import (
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

func TestForecast(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	d := decimal.MustParse
	cases := []struct {
		bal, s7, s30 string
		run30        string // date, or "" for not at this rate
		soon, over   bool
	}{
		{"300.00", "70", "300", "", false, false}, // 10 a day: 30 days (set below)
		{"100.00", "140", "300", "", true, false}, // 20 a day over the last week: 5 days
		{"1000.00", "0", "0", "", false, false},
		{"-5.00", "7", "30", "2026-11-20", true, true},
		{"1000.00", "7", "30", "2029-08-16", false, false},
	}
	cases[0].run30 = now.AddDate(0, 0, 30).Format("2006-01-02")
	cases[1].run30 = now.AddDate(0, 0, 10).Format("2006-01-02")
	for _, c := range cases {
		f := NewForecast(d(c.bal), d(c.s7), d(c.s30), now)
		got := ""
		if !f.RunOut30.IsZero() {
			got = f.RunOut30.Format("2006-01-02")
		}
		if got != c.run30 || f.Soon != c.soon || f.Overdrawn != c.over {
			t.Errorf("balance %s spend %s/%s: run-out %q soon %v overdrawn %v", c.bal, c.s7, c.s30, got, f.Soon, f.Overdrawn)
		}
	}
	if f := NewForecast(d("300.00"), d("70"), d("300"), now); f.Burn7.StringFixed(2) != "10.00" || f.Burn30.StringFixed(2) != "10.00" ||
		!strings.HasPrefix(f.RunOut7.Format(time.RFC3339), "2026-12-20") {
		t.Errorf("burn %s/%s run-out7 %s", f.Burn7, f.Burn30, f.RunOut7)
	}
}

func TestSpendWindows_EndAtTodaysMidnight(t *testing.T) {
	from7, from30, to := SpendWindows(time.Date(2026, 11, 20, 23, 59, 0, 0, time.FixedZone("", -5*3600)))
	if to != time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) || from7 != to.AddDate(0, 0, -7) || from30 != to.AddDate(0, 0, -30) {
		t.Fatalf("windows %v %v %v", from7, from30, to)
	}
}
