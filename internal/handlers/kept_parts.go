package handlers

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/usage"
)

// Some parts of a page are the same for every request that gives them
// the same inputs, and their inputs change only with a sync, a push or
// the catalogue: the metrics overview's chart (its series), the billing
// page's charts and their table (its buckets), the metrics filters'
// option lists (the projects, providers, installations and definitions
// in scope). Building and rendering them cost as much as the rest of
// their pages, so each is kept by its inputs, and a request whose inputs
// equal a kept one's, element by element, reuses it. Keying by the inputs
// themselves, not by a generation, means a kept part can never outlive
// its data.

// keptParts is how many parts of one kind are kept; past that it starts
// again empty.
const keptParts = 64

type keptPart[P, V any] struct {
	in []P
	v  V
}

// keptByInputs keeps built parts by the rest of their inputs (a spec
// string), one per spec, with the elements each was built from.
type keptByInputs[P, V any] struct {
	mu sync.Mutex
	m  map[string]keptPart[P, V]
}

// get returns the part kept for spec and in (eq compares two elements),
// or builds and keeps it. The part returned is shared: callers only read it.
func (k *keptByInputs[P, V]) get(spec string, in []P, eq func(a, b P) bool, build func() V) V {
	k.mu.Lock()
	e, ok := k.m[spec]
	k.mu.Unlock()
	if ok && sameInputs(e.in, in, eq) {
		return e.v
	}
	v := build()
	k.mu.Lock()
	if k.m == nil || len(k.m) >= keptParts {
		k.m = map[string]keptPart[P, V]{}
	}
	k.m[spec] = keptPart[P, V]{in: in, v: v}
	k.mu.Unlock()
	return v
}

// sameInputs reports whether a and b hold equal elements: at once when
// they are the same elements (the cache hands out its kept answers), else
// element by element.
func sameInputs[P any](a, b []P, eq func(a, b P) bool) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if !eq(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameFloat is equality of the bits: -0 and 0 are written differently,
// and a NaN equals itself.
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// samePoint is eq for the metrics overview's series.
func samePoint(x, y metrics.PeriodValue) bool {
	return x.Period.Equal(y.Period) && x.Key == y.Key && x.Label == y.Label && x.UnitType == y.UnitType &&
		x.MetricType == y.MetricType && sameFloat(x.Total, y.Total)
}

// sameBucket is eq for the billing page's buckets.
func sameBucket(x, y billing.Point) bool {
	return x.Start.Equal(y.Start) && x.Records == y.Records && sameFloat(x.CPU, y.CPU) && sameFloat(x.RAM, y.RAM) &&
		sameFloat(x.GPU, y.GPU) && sameFloat(x.VGPU, y.VGPU) && sameFloat(x.Storage, y.Storage) && sameFloat(x.PeakCPU, y.PeakCPU) &&
		sameFloat(x.StorageUsed, y.StorageUsed) && sameFloat(x.StorageTotal, y.StorageTotal)
}

// sameRecord is eq for billing records: every field, exactly.
func sameRecord(x, y billing.Record) bool { return x == y }

// sameLabs is eq for the budgets overview's labs: none is equal to
// another, so only the labs the cache keeps, handed out again, match.
func sameLabs(budgets.Lab, budgets.Lab) bool { return false }

// sameStatusDay is eq for the usage status chart's days.
func sameStatusDay(x, y usage.StatusDay) bool {
	return x.Day.Equal(y.Day) && x.Resource == y.Resource && x.Loaded == y.Loaded && x.Failed == y.Failed && x.TotalCharge == y.TotalCharge
}

// sameOption is eq for the filters' options.
func sameOption(x, y metrics.Option) bool { return x == y }

// chartSpecKey is the part of a chart's inputs besides its points.
func chartSpecKey(title, unit string, bar time.Duration, from, to time.Time, mean bool, series int) string {
	return title + "\x00" + unit + "\x00" + strconv.FormatInt(int64(bar), 10) + "\x00" + from.UTC().Format(time.RFC3339Nano) + "\x00" +
		to.UTC().Format(time.RFC3339Nano) + "\x00" + strconv.FormatBool(mean) + "\x00" + strconv.Itoa(series)
}
