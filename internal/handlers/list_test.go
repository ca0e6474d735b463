package handlers

import (
	"net/url"
	"testing"
	"time"
)

// TestParseTimeRange_Clamps: a custom range ends today at the latest and
// spans at most MaxRangeYears, and says so; a range inside the bounds is
// kept as asked.
func TestParseTimeRange_Clamps(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	for _, tc := range []struct {
		from, to         string
		wantFrom, wantTo string
		note             string
	}{
		{"2026-01-01", "2026-01-31", "2026-01-01", "2026-02-01", ""},
		{"0001-01-01", "9999-12-31", "2006-11-22", "2026-11-22", "The range was shortened: it ends today and covers at most 20 years."},
		{"1900-01-01", "2000-01-01", "1980-01-02", "2000-01-02", "The range was shortened: it covers at most 20 years."},
		{"2030-01-01", "2030-12-31", "2026-11-21", "2026-11-22", "The range was shortened: it ends today."},
	} {
		tr, err := parseTimeRange(url.Values{"from": {tc.from}, "to": {tc.to}}, now, "30d")
		if err != nil || !tr.From.Equal(day(tc.wantFrom)) || !tr.To.Equal(day(tc.wantTo)) || tr.Note != tc.note {
			t.Errorf("%s..%s: %v..%v %q (%v), want %s..%s %q", tc.from, tc.to, tr.From, tr.To, tr.Note, err, tc.wantFrom, tc.wantTo, tc.note)
		}
	}
}
