package notify

import (
	"slices"
	"testing"
)

// FuzzParseThresholds: a thresholds form never panics the parser, and
// what it accepts is in bounds and reads back the same.
func FuzzParseThresholds(f *testing.F) {
	f.Add("50, 80, 100", "14 3")
	f.Add("80%;90", "")
	f.Add("0", "400")
	f.Add("1,1,1,1,1,1,1,1,1", "x")
	f.Fuzz(func(t *testing.T, percents, days string) {
		th, err := ParseThresholds(percents, days)
		if err != nil {
			return
		}
		for _, p := range th.Percents {
			if p < 1 || p > MaxPercent {
				t.Fatalf("percent %d accepted", p)
			}
		}
		for _, d := range th.Days {
			if d < 1 || d > MaxDays {
				t.Fatalf("days %d accepted", d)
			}
		}
		again, err := ParseThresholds(th.PercentText(), th.DaysText())
		if err != nil || !slices.Equal(again.Percents, th.Percents) || !slices.Equal(again.Days, th.Days) {
			t.Fatalf("%+v reads back as %+v (%v)", th, again, err)
		}
	})
}
