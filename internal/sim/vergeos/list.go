package vergeos

import (
	"math"
	"sort"
	"strings"
)

// positions returns the range [lo, hi) of row positions the filter's
// created/$key bounds allow.
func (v *view) positions(b bounds) (lo, hi int64) {
	lo, hi = 0, v.total()
	if b.createdLo != math.MinInt64 {
		lo = max(lo, v.before(b.createdLo))
	}
	if b.createdHi != math.MaxInt64 {
		hi = min(hi, v.before(satAdd(b.createdHi, 1)))
	}
	if b.keyLo > 1 {
		lo = max(lo, b.keyLo-1) // key k is position k-1
	}
	if b.keyHi != math.MaxInt64 {
		hi = min(hi, max(b.keyHi, 0))
	}
	return lo, max(lo, hi)
}

// list writes the rows q selects to e. Sorting by created or $key (or not
// at all) walks positions in order, which is both orders at once; only
// then can offset skip rows without computing them. Any other sort
// collects the matching positions with their sort values and sorts those.
func (v *view) list(e *encoder, q listQuery) {
	lo, hi := v.positions(q.bounds)
	e.begin()
	defer e.end()
	if len(q.sort) > 0 && q.sort[0].id != fCreated && q.sort[0].id != fKey {
		v.listSorted(e, q, lo, hi)
		return
	}
	desc := len(q.sort) > 0 && q.sort[0].desc
	limit := q.limit
	if limit == 0 {
		limit = math.MaxInt64
	}
	skip := q.offset
	if q.rest == nil {
		// Every row in range matches: jump over the offset.
		if skip >= hi-lo {
			return
		}
		if desc {
			hi -= skip
		} else {
			lo += skip
		}
		skip = 0
	}
	var r record // one variable for every row: it escapes to the heap, so allocate it once
	for i := int64(0); i < hi-lo && limit > 0; i++ {
		p := lo + i
		if desc {
			p = hi - 1 - i
		}
		r = v.at(p)
		if q.rest != nil && !q.rest.match(&r) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		e.row(&r, q.fields)
		limit--
	}
}

// sortItem is a matching row's position and its sort values.
type sortItem struct {
	p    int64
	vals [maxSortKeys]int64
	desc string
}

func (v *view) listSorted(e *encoder, q listQuery, lo, hi int64) {
	var items []sortItem
	var r record
	for p := lo; p < hi; p++ {
		r = v.at(p)
		if q.rest != nil && !q.rest.match(&r) {
			continue
		}
		it := sortItem{p: p, desc: r.desc}
		for k, s := range q.sort {
			it.vals[k] = r.v[s.id]
		}
		items = append(items, it)
	}
	sort.SliceStable(items, func(i, j int) bool { return less(q.sort, &items[i], &items[j]) })
	start := min(q.offset, int64(len(items)))
	end := int64(len(items))
	if q.limit > 0 {
		end = min(end, start+q.limit)
	}
	for _, it := range items[start:end] {
		r = v.at(it.p)
		e.row(&r, q.fields)
	}
}

func less(keys []sortKey, a, b *sortItem) bool {
	for k, s := range keys {
		c := cmpInt(a.vals[k], b.vals[k])
		if s.id == fDescription {
			c = strings.Compare(a.desc, b.desc)
		}
		if c == 0 {
			continue
		}
		return (c < 0) != s.desc
	}
	return false
}
