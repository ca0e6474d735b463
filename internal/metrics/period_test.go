package metrics

import (
	"testing"
	"time"
)

func TestPeriodStartAndNext(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		at, g       string
		start, next string
	}{
		{"2026-01-07 13:30", Daily, "2026-01-07 00:00", "2026-01-08 00:00"},
		{"2026-01-07 13:30", Weekly, "2026-01-05 00:00", "2026-01-12 00:00"}, // a Wednesday: its Monday
		{"2026-01-11 23:59", Weekly, "2026-01-05 00:00", "2026-01-12 00:00"}, // a Sunday ends the week
		{"2026-01-05 00:00", Weekly, "2026-01-05 00:00", "2026-01-12 00:00"},
		{"2026-02-28 10:00", Monthly, "2026-02-01 00:00", "2026-03-01 00:00"},
		{"2025-12-31 23:00", Monthly, "2025-12-01 00:00", "2026-01-01 00:00"},
		{"2026-01-07 13:30", "hour", "2026-01-07 00:00", "2026-01-08 00:00"}, // another granularity: days
	} {
		got := PeriodStart(day(c.at), c.g)
		if !got.Equal(day(c.start)) || got.Location() != time.UTC {
			t.Errorf("%s %s: start %v", c.at, c.g, got)
		}
		if next := NextPeriod(got, c.g); !next.Equal(day(c.next)) {
			t.Errorf("%s %s: next %v", c.at, c.g, next)
		}
	}
	// A time given in another zone falls in its UTC period.
	late := time.Date(2026, 1, 5, 0, 30, 0, 0, time.FixedZone("CET", 3600)) // 2026-01-04 23:30 UTC, a Sunday
	if got := PeriodStart(late, Weekly); !got.Equal(day("2025-12-29 00:00")) {
		t.Errorf("CET Monday 00:30: week of %v", got)
	}
}

func TestAggregation(t *testing.T) {
	for typ, want := range map[string]string{"aggregated": "sum", "count": "mean", "averaged": "mean", "summarised": "mean", "": "mean"} {
		if got := Aggregation(typ); got != want {
			t.Errorf("%q: %s", typ, got)
		}
	}
}
