package handlers

import (
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// noData says that a range holds no data, and where the data is, so an
// empty range never reads as zeros ("0.0 %", "Gaps: none"). what names
// the data ("billing records"); e is where it begins and ends.
func noData(tr TimeRange, e portal.Extent, what string) string {
	s := "No data for " + rangeText(tr) + ": "
	switch {
	case e.Empty():
		return s + "no " + what + " have been synced yet."
	case !e.First.Before(tr.To):
		return s + what + " start " + day(e.First) + "."
	case e.Last.Before(tr.From) || e.Last.Equal(tr.From):
		return s + what + " end " + day(e.Last) + " (they start " + day(e.First) + ")."
	}
	return s + what + " run from " + day(e.First) + " to " + day(e.Last) + ", with none in this range."
}

// rangeText names a range by its UTC dates, both inclusive.
func rangeText(tr TimeRange) string {
	from, to := day(tr.From), day(tr.To.Add(-time.Nanosecond))
	if from == to {
		return from
	}
	return from + " – " + to
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
