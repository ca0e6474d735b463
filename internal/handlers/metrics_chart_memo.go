package handlers

import (
	"hash/maphash"
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

var chartSeed = maphash.MakeSeed()

type keptChart struct {
	spec  string
	pts   []metrics.PeriodValue
	chart *templates.ChartView
}

// chartMemo keeps built charts by a hash of their inputs.
type chartMemo struct {
	mu sync.Mutex
	m  map[uint64]keptChart
}

var overviewCharts chartMemo

// chart returns the chart kept for spec and pts, or builds and keeps it.
// The chart returned is shared: callers only read it.
func (cm *chartMemo) chart(spec string, pts []metrics.PeriodValue, build func() templates.ChartView) *templates.ChartView {
	h := chartHash(spec, pts)
	cm.mu.Lock()
	k, ok := cm.m[h]
	cm.mu.Unlock()
	if ok && k.spec == spec && samePoints(k.pts, pts) {
		return k.chart
	}
	c := build()
	cm.mu.Lock()
	if cm.m == nil || len(cm.m) >= chartKeep {
		cm.m = map[uint64]keptChart{}
	}
	cm.m[h] = keptChart{spec: spec, pts: pts, chart: &c}
	cm.mu.Unlock()
	return &c
}

// chartSpecKey is the part of a chart's inputs besides its points.
func chartSpecKey(title, unit string, bar time.Duration, from, to time.Time, mean bool, series int) string {
	return title + "\x00" + unit + "\x00" + strconv.FormatInt(int64(bar), 10) + "\x00" + from.UTC().Format(time.RFC3339Nano) + "\x00" +
		to.UTC().Format(time.RFC3339Nano) + "\x00" + strconv.FormatBool(mean) + "\x00" + strconv.Itoa(series)
}

func chartHash(spec string, pts []metrics.PeriodValue) uint64 {
	var h maphash.Hash
	h.SetSeed(chartSeed)
	h.WriteString(spec)
	var b [8]byte
	u64 := func(v uint64) {
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		h.Write(b[:])
	}
	u64(uint64(len(pts)))
	for _, p := range pts {
		u64(uint64(p.Period.UnixNano()))
		h.WriteString(p.Key)
		h.WriteByte(0)
		h.WriteString(p.Label)
		h.WriteByte(0)
		h.WriteString(p.UnitType)
		h.WriteByte(0)
		h.WriteString(p.MetricType)
		h.WriteByte(0)
		u64(math.Float64bits(p.Total))
	}
	return h.Sum64()
}

func samePoints(a, b []metrics.PeriodValue) bool {
	if len(a) != len(b) {
		return false
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
