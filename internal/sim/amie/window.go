package amie

import (
	"sort"

	"github.com/accounting-portal/portal/internal/decimal"
)

// window adds the loaded history records processed in [lo, hi) to aggs:
// whole days from the aggregates, partial days by regenerating just the
// records in range (processing times increase with n, so a binary search
// finds the first), less the records replaced by received ones.
func (h *history) window(aggs []resAgg, lo, hi int64, gone map[uint64]bool) {
	if h.days == 0 {
		return
	}
	lo = max(lo, h.day0*dayNanos)
	hi = min(hi, (h.day0+int64(h.days))*dayNanos)
	if lo >= hi {
		return
	}
	first := int(floorDiv(lo, dayNanos) - h.day0)
	last := int(floorDiv(hi-1, dayNanos) - h.day0)
	for r := range h.nRes {
		a := &aggs[r]
		for d := first; d <= last; d++ {
			dayStart := (h.day0 + int64(d)) * dayNanos
			i := h.at(r, d)
			if lo <= dayStart && dayStart+dayNanos <= hi {
				a.loaded += int64(h.loaded[i])
				a.cents += h.cents[i]
				continue
			}
			h.partial(a, r, d, lo, hi)
		}
	}
	for k := range gone {
		r, slot, n := int(k>>40), int(k>>16&0xffffff), int(k&0xffff)
		day := h.day0 + int64(slot)
		c := h.core(r, day, n, int(h.counts[h.at(r, slot)]))
		if c.reason == reasonNone && c.proc >= lo && c.proc < hi {
			aggs[r].loaded--
			aggs[r].cents -= c.cents
		}
	}
}

// partial adds the loaded records of one day of resource r in [lo, hi).
func (h *history) partial(a *resAgg, r, d int, lo, hi int64) {
	day := h.day0 + int64(d)
	count := int(h.counts[h.at(r, d)])
	n := sort.Search(count, func(n int) bool { return h.core(r, day, n, count).proc >= lo })
	for ; n < count; n++ {
		c := h.core(r, day, n, count)
		if c.proc >= hi {
			break
		}
		if c.reason == reasonNone {
			a.loaded++
			a.cents += c.cents
		}
	}
}

// chargeAcc sums charges exactly without a big-number operation per
// record: one int64 per exponent 0..-9, falling back to decimal on overflow,
// on other exponents and for charges that do not fit an int64.
type chargeAcc struct {
	parts [10]int64
	used  uint16
	big   decimal.Decimal
	isBig bool
}

func (a *chargeAcc) add(c charge, text []byte) {
	if !c.big && c.exp <= 0 && c.exp > -10 {
		e := -c.exp
		s := a.parts[e] + c.coef
		if (c.coef >= 0 && s >= a.parts[e]) || (c.coef < 0 && s < a.parts[e]) {
			a.parts[e] = s
			a.used |= 1 << e
			return
		}
	}
	a.big = a.big.Add(c.decimalOf(text))
	a.isBig = true
}

// total returns the sum plus cents hundredths; "0" when nothing was added.
func (a *chargeAcc) total(cents int64) decimal.Decimal {
	var t decimal.Decimal
	started := false
	plus := func(d decimal.Decimal) {
		if started {
			t = t.Add(d)
		} else {
			t, started = d, true
		}
	}
	if cents != 0 {
		plus(decimal.New(cents, -2))
	}
	for e := range a.parts {
		if a.used&(1<<e) != 0 {
			plus(decimal.New(a.parts[e], -int32(e)))
		}
	}
	if a.isBig {
		plus(a.big)
	}
	if !started {
		return decimal.Zero
	}
	return t
}
