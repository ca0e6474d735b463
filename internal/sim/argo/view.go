package argo

import (
	"sort"
	"time"
)

// metricFilter is the query of a metric list (API.md §7.1 "Metric filters").
type metricFilter struct {
	def int // index into defs; -1 for any
	// lo bounds time_period_start from below; hi bounds time_period_end
	// from above. With both set (start and end given) both timestamps must
	// lie in [lo, hi].
	lo, hi       time.Time
	hasLo, hasHi bool
}

func (f metricFilter) match(m *storedMetric) bool {
	if f.def >= 0 && m.def != f.def {
		return false
	}
	if f.hasLo && (m.start.Before(f.lo) || m.end.Before(f.lo)) {
		return false
	}
	if f.hasHi && (m.end.After(f.hi) || m.start.After(f.hi)) {
		return false
	}
	return true
}

// instSlice is the part of one installation's metrics a view selects: the
// generated days [dLo, dLo+nDays) of the matching series, then the
// matching posted metrics.
type instSlice struct {
	inst   int
	series []int
	dLo    int
	nDays  int
	posted []*storedMetric
}

func (s *instSlice) count() int { return s.nDays*len(s.series) + len(s.posted) }

// metricView is the filtered metrics of a list of installations, in
// order; it is paged without materialising anything but the page.
type metricView struct {
	d      *dataset
	slices []instSlice
	cum    []int64 // cum[j]: metrics in slices[:j+1]
}

func (d *dataset) view(insts []int, f metricFilter) *metricView {
	v := &metricView{d: d}
	var total int64
	for _, i := range insts {
		s := d.slice(i, f)
		total += int64(s.count())
		v.slices = append(v.slices, s)
		v.cum = append(v.cum, total)
	}
	return v
}

// slice computes the generated day range a filter keeps. A generated day n
// spans [start0+n, start0+n+1) days, so "start >= lo" and "end <= hi"
// become bounds on n; the other two conditions follow from them.
func (d *dataset) slice(i int, f metricFilter) instSlice {
	in := d.insts[i]
	s := instSlice{inst: i}
	for j, ser := range in.series {
		if f.def < 0 || ser.def == f.def {
			s.series = append(s.series, j)
		}
	}
	lo, hi := 0, d.days-1
	if f.hasLo {
		lo = max(lo, ceilDiv(f.lo.Sub(d.start0), day))
	}
	if f.hasHi {
		hi = min(hi, floorDiv(f.hi.Sub(d.start0), day)-1)
	}
	if len(s.series) > 0 && hi >= lo {
		s.dLo, s.nDays = lo, hi-lo+1
	}
	for _, m := range in.posted {
		if f.match(m) {
			s.posted = append(s.posted, m)
		}
	}
	return s
}

func (v *metricView) total() int64 {
	if len(v.cum) == 0 {
		return 0
	}
	return v.cum[len(v.cum)-1]
}

// page returns up to n metrics from offset off.
func (v *metricView) page(off int64, n int) []storedMetric {
	if off < 0 || off >= v.total() || n <= 0 {
		return nil
	}
	out := make([]storedMetric, 0, min(int64(n), v.total()-off))
	j := sort.Search(len(v.cum), func(j int) bool { return v.cum[j] > off })
	for ; j < len(v.slices) && len(out) < n; j++ {
		s := &v.slices[j]
		first := int64(0)
		if j > 0 {
			first = v.cum[j-1]
		}
		for k := int(off - first); k < s.count() && len(out) < n; k++ {
			out = append(out, v.at(s, k))
		}
		off = v.cum[j]
	}
	return out
}

// at returns metric k of a slice.
func (v *metricView) at(s *instSlice, k int) storedMetric {
	gen := s.nDays * len(s.series)
	if k >= gen {
		return *s.posted[k-gen]
	}
	n := s.dLo + k/len(s.series)
	ser := s.series[k%len(s.series)]
	all := len(v.d.insts[s.inst].series)
	return v.d.generated(s.inst, n*all+ser)
}

func floorDiv(a, b time.Duration) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return int(q)
}

func ceilDiv(a, b time.Duration) int {
	q := a / b
	if a%b != 0 && (a < 0) == (b < 0) {
		q++
	}
	return int(q)
}
