package usage

import "time"

// StatusDay is the upstream's processing status of one resource for one
// UTC day.
type StatusDay struct {
	Day      time.Time // 00:00 UTC
	Resource string
	Loaded   int64
	Failed   int64
	// TotalCharge is the exact decimal sum of the loaded records' charges.
	TotalCharge string
}

// SyncState is what the AMIE sync remembers between runs.
type SyncState struct {
	// LastFull is the start of the last run that re-read the whole window.
	LastFull time.Time
	// LastRun is the start of the last run that saved status.
	LastRun time.Time
	// FullRequested is when a change to past days (a clear of failed
	// records) asked for the whole window to be read again.
	FullRequested time.Time
}

// NeedsFull reports whether a run starting now must re-read the whole window.
func (s SyncState) NeedsFull(now time.Time, every time.Duration) bool {
	return s.LastFull.IsZero() || now.Sub(s.LastFull) >= every || s.FullRequested.After(s.LastFull)
}

// StatusSorts are the sort keys of the status table.
var StatusSorts = []string{"charge", "day", "failed", "loaded", "resource"}

// StatusFilter selects the status rows of the usage page. The status is a
// site-wide aggregate per resource (it names no project), so it takes no
// scope: every signed-in person may see it.
type StatusFilter struct {
	// From and To bound the days: From is rounded down to its UTC day, and
	// a day is included when From <= day < To.
	From, To time.Time
	Resource string
	Sort     string // one of StatusSorts ("" or another: newest day first)
	Desc     bool
	Limit    int
	Offset   int
}

// StatusSummary is the status of a range summed over resources.
type StatusSummary struct {
	Loaded, Failed int64
	// Charge is the exact sum of the loaded charges.
	Charge string
	// Days are the per-day sums (Resource empty), oldest first; days
	// without records are left out.
	Days []StatusDay
	// Resources is how many resources reported in the range.
	Resources int
}

// DayStart returns 00:00 UTC of t's day.
func DayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// FormatDay prints a UTC day as YYYY-MM-DD.
func FormatDay(t time.Time) string { return t.UTC().Format("2006-01-02") }
