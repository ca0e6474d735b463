package handlers

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/web/templates"
)

// The overview's chart is the same for every request that reads the same
// series with the same title and range: its series change only with an
// ARGO sync, a push or the catalogue. Building its geometry (ranking the
// series, folding buckets, formatting every path and tooltip) cost as
// much as the rest of the page, so charts are kept by their inputs, and
// a request whose inputs equal a kept chart's, point for point, reuses
// it. Keying by the inputs themselves, not by a generation, means a kept
// chart can never outlive its data.

// chartKeep is how many charts are kept; past that it starts again empty.
const chartKeep = 64

type keptChart struct {
	pts   []metrics.PeriodValue
	chart *templates.ChartView
}

// chartMemo keeps built charts by the rest of their inputs (chartSpecKey),
// one per key, with the points each was built from.
type chartMemo struct {
	mu sync.Mutex
	m  map[string]keptChart
}

// chart returns the chart kept for spec and pts, or builds and keeps it.
// The chart returned is shared: callers only read it.
func (cm *chartMemo) chart(spec string, pts []metrics.PeriodValue, build func() templates.ChartView) *templates.ChartView {
	cm.mu.Lock()
	k, ok := cm.m[spec]
	cm.mu.Unlock()
	if ok && samePoints(k.pts, pts) {
		return k.chart
	}
	c := build()
	cm.mu.Lock()
	if cm.m == nil || len(cm.m) >= chartKeep {
		cm.m = map[string]keptChart{}
	}
	cm.m[spec] = keptChart{pts: pts, chart: &c}
	cm.mu.Unlock()
	return &c
}

// chartSpecKey is the part of a chart's inputs besides its points.
func chartSpecKey(title, unit string, bar time.Duration, from, to time.Time, mean bool, series int) string {
	return title + "\x00" + unit + "\x00" + strconv.FormatInt(int64(bar), 10) + "\x00" + from.UTC().Format(time.RFC3339Nano) + "\x00" +
		to.UTC().Format(time.RFC3339Nano) + "\x00" + strconv.FormatBool(mean) + "\x00" + strconv.Itoa(series)
}

// samePoints reports whether a and b hold equal points: at once when they
// are the same points (the cache hands out its kept series), else point
// by point.
func samePoints(a, b []metrics.PeriodValue) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.Period.Equal(y.Period) || x.Key != y.Key || x.Label != y.Label || x.UnitType != y.UnitType ||
			x.MetricType != y.MetricType || math.Float64bits(x.Total) != math.Float64bits(y.Total) {
			return false
		}
	}
	return true
}
