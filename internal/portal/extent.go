package portal

import "time"

// Extent is where the data of a page begins and ends in the cache,
// whatever range the page shows: a page whose range holds nothing says
// "no data for this range" and where the data is, rather than zeros.
type Extent struct {
	// First and Last are the earliest and latest times held; both zero
	// when nothing is held yet.
	First, Last time.Time
}

// Empty reports whether nothing is held at all.
func (e Extent) Empty() bool { return e.First.IsZero() && e.Last.IsZero() }
