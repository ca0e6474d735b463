package templates

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// MaxChartPoints is the most points a chart draws per series (for bars:
// the most bars per series). A chart of a long range with finer data is
// drawn in coarser buckets instead (hour → day → week → month → quarter →
// year → several years), so what a page sends and the time it takes to
// draw stay bounded whatever range the URL asks for. A line of 400
// points is already finer than the 720 units of a chart's width show.
const MaxChartPoints = 400

// bucketUnit is a calendar bucket in UTC.
type bucketUnit struct {
	noun   string // "one week", or "5 years"
	approx time.Duration
	floor  func(time.Time) time.Time
	next   func(time.Time) time.Time
}

// fixedBucket is a bucket of fixed length. Truncate counts from
// 0001-01-01 UTC, a Monday at midnight, so days start at midnight and
// weeks on Monday.
func fixedBucket(noun string, d time.Duration) bucketUnit {
	return bucketUnit{noun: noun, approx: d,
		floor: func(t time.Time) time.Time { return t.UTC().Truncate(d) },
		next:  func(t time.Time) time.Time { return t.Add(d) }}
}

func monthBucket(noun string, k int) bucketUnit {
	return bucketUnit{noun: noun, approx: time.Duration(k) * 30 * 24 * time.Hour,
		floor: func(t time.Time) time.Time {
			t = t.UTC()
			m := (int(t.Month())-1)/k*k + 1
			return time.Date(t.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		},
		next: func(t time.Time) time.Time { return t.AddDate(0, k, 0) }}
}

func yearBucket(k int) bucketUnit {
	noun := "one year"
	if k > 1 {
		noun = strconv.Itoa(k) + " years"
	}
	return bucketUnit{noun: noun, approx: time.Duration(k) * 365 * 24 * time.Hour,
		floor: func(t time.Time) time.Time {
			y := t.UTC().Year()
			y -= ((y % k) + k) % k
			return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		},
		next: func(t time.Time) time.Time { return t.AddDate(k, 0, 0) }}
}

// bucketUnits are tried from fine to coarse.
var bucketUnits = []bucketUnit{
	fixedBucket("one hour", time.Hour),
	fixedBucket("one day", 24*time.Hour),
	fixedBucket("one week", 7*24*time.Hour),
	monthBucket("one month", 1),
	monthBucket("one quarter", 3),
	yearBucket(1),
}

// chooseBucket returns the finest unit that cuts [t0, t1] into at most
// MaxChartPoints buckets.
func chooseBucket(t0, t1 time.Time) bucketUnit {
	// In seconds: a time.Duration cannot hold more than 292 years.
	span := t1.Unix() - t0.Unix()
	for _, u := range bucketUnits {
		if span/int64(u.approx/time.Second)+2 <= MaxChartPoints {
			return u
		}
	}
	// Longer than MaxChartPoints years (only a chart of a range no page
	// allows): k years per bucket, k = 2, 5, 10, 20, 50...
	years := t1.Year() - t0.Year() + 2
	for m := 1; ; m *= 10 {
		for _, f := range []int{2, 5, 10} {
			if k := f * m; years/k+2 <= MaxChartPoints {
				return yearBucket(k)
			}
		}
	}
}

// bucketed returns the spec with every series folded into buckets when
// one of them has more than MaxChartPoints points, and says what a point
// or bar then stands for ("" when nothing was folded). Bars add up their
// bucket (or take its mean, with Mean) and span it; a line's point is the
// mean of its bucket, drawn at the bucket's middle (kept inside the
// chart's range).
func bucketed(s ChartSpec) (ChartSpec, string) {
	most := 0
	t0, t1, _, _, n := extent(s)
	for _, se := range s.Series {
		most = max(most, len(se.Points))
	}
	if most <= MaxChartPoints || n == 0 {
		return s, ""
	}
	lo, hi := t0, t1
	if !s.From.IsZero() && s.From.Before(lo) {
		lo = s.From
	}
	if !s.To.IsZero() && s.To.After(hi) {
		hi = s.To
	}
	u := chooseBucket(lo, hi)
	out := s
	out.Series = make([]TimeSeries, len(s.Series))
	for i, se := range s.Series {
		out.Series[i] = TimeSeries{Name: se.Name, Points: fold(se.Points, u, s, lo, hi)}
	}
	what := "Each point is the mean of " + u.noun + "."
	if s.Bars {
		out.barEnd = u.next
		what = "Each bar adds up " + u.noun + "."
		if s.Mean {
			what = "Each bar is the mean of " + u.noun + "."
		}
	}
	return out, "Too many points to draw one by one: " + what
}

// fold combines the points of one series by bucket.
func fold(pts []TimePoint, u bucketUnit, s ChartSpec, lo, hi time.Time) []TimePoint {
	type acc struct {
		sum float64
		n   int
	}
	byStart := map[time.Time]*acc{}
	var starts []time.Time
	for _, p := range pts {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		b := u.floor(p.T)
		a := byStart[b]
		if a == nil {
			a = &acc{}
			byStart[b] = a
			starts = append(starts, b)
		}
		a.sum += p.V
		a.n++
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]TimePoint, 0, len(starts))
	for _, b := range starts {
		a := byStart[b]
		v := a.sum / float64(a.n)
		t := b
		if s.Bars {
			if !s.Mean {
				v = a.sum
			}
		} else {
			t = b.Add(u.next(b).Sub(b) / 2)
			if t.Before(lo) {
				t = lo
			}
			if t.After(hi) {
				t = hi
			}
		}
		out = append(out, TimePoint{T: t, V: v})
	}
	return out
}
