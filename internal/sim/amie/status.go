package amie

import (
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/jsonbytes"
)

// handleStatus is GET usage/status?FromTime=&ToTime=: per resource, the
// records processed in [FromTime, ToTime) (either end optional, open when
// absent) and no later than now: loaded count and charge, and the failures
// not yet cleared, grouped by error and usage type.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"FromTime", &lo}, {"ToTime", &hi}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, ok := parseQueryTime(v)
		if !ok {
			writeError(w, http.StatusBadRequest, p.name+" is not an ISO 8601 time")
			return
		}
		*p.dst = t.UnixNano()
	}
	if lo > hi {
		writeError(w, http.StatusBadRequest, "FromTime is after ToTime")
		return
	}
	s.mu.Lock()
	now := s.advance()
	b := s.status(nil, lo, min(hi, now+1))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, b)
}

// parseQueryTime reads a query time; a "+" of an offset that was not
// percent-encoded arrives as a space and is put back.
func parseQueryTime(v string) (time.Time, bool) {
	if len(v) > 19 && v[len(v)-6] == ' ' {
		v = v[:len(v)-6] + "+" + v[len(v)-5:]
	}
	return parseTime(v)
}

// resAgg is one resource's status in a window.
type resAgg struct {
	loaded, cents, failed int64
	posted                chargeAcc
	groups                []errGroup
}

type errGroup struct {
	reason, typ uint8
	hist        []int32 // indexes in history.fails
	posted      []int32 // indexes in store.fails
}

func (a *resAgg) group(reason, typ uint8) *errGroup {
	for i := range a.groups {
		if a.groups[i].reason == reason && a.groups[i].typ == typ {
			return &a.groups[i]
		}
	}
	a.groups = append(a.groups, errGroup{reason: reason, typ: typ})
	return &a.groups[len(a.groups)-1]
}

// status appends the JSON status array for processing times in [lo, hi).
func (s *Server) status(b []byte, lo, hi int64) []byte {
	aggs := make([]resAgg, len(s.cast.resources))
	h, st := s.hist, s.st
	h.window(aggs, lo, hi, st.histGone)
	for i := range st.recs {
		r := &st.recs[i]
		if r.state == stLoaded && r.proc >= lo && r.proc < hi {
			aggs[r.res].loaded++
			aggs[r.res].posted.add(r.ch, st.text(r.chg))
		}
	}
	start := sort.Search(len(h.fails), func(i int) bool { return h.fails[i].proc >= lo })
	for i := start; i < len(h.fails) && h.fails[i].proc < hi; i++ {
		if f := h.fails[i]; !st.histCleared[i] {
			aggs[f.r].failed++
			g := aggs[f.r].group(f.reason, typCompute)
			g.hist = append(g.hist, int32(i))
		}
	}
	for j, f := range st.fails {
		if !f.cleared && f.proc >= lo && f.proc < hi {
			r := &st.recs[f.rec]
			aggs[r.res].failed++
			g := aggs[r.res].group(f.reason, r.typ)
			g.posted = append(g.posted, int32(j))
		}
	}
	return s.appendStatus(b, aggs)
}

func (s *Server) appendStatus(b []byte, aggs []resAgg) []byte {
	b = append(b, '[')
	first := true
	for r := range aggs {
		a := &aggs[r]
		if a.loaded == 0 && a.failed == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"Resource":`...)
		b = jsonbytes.AppendString(b, s.cast.resources[r])
		b = append(b, `,"LoadedRecordCount":`...)
		b = strconv.AppendInt(b, a.loaded, 10)
		b = append(b, `,"FailedJobCount":`...)
		b = strconv.AppendInt(b, a.failed, 10)
		b = append(b, `,"TotalCharge":`...)
		b = jsonbytes.AppendString(b, a.posted.total(a.cents).String())
		b = append(b, `,"Errors":[`...)
		b = s.appendGroups(b, a.groups)
		b = append(b, ']', '}')
	}
	return append(b, ']', '\n')
}

// appendGroups writes error groups ordered by error text and usage type;
// every record carries UsageType, which amieclient reads (API.md §4.3).
func (s *Server) appendGroups(b []byte, groups []errGroup) []byte {
	slices.SortFunc(groups, func(x, y errGroup) int {
		if c := cmpString(reasonText[x.reason], reasonText[y.reason]); c != 0 {
			return c
		}
		return int(x.typ) - int(y.typ)
	})
	h, st := s.hist, s.st
	for gi, g := range groups {
		if gi > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Error":`...)
		b = jsonbytes.AppendString(b, reasonText[g.reason])
		b = append(b, `,"UsageType":"`...)
		b = append(b, typeNames[g.typ]...)
		b = append(b, `","Records":[`...)
		var scratch []byte
		for i, fi := range g.hist {
			if i > 0 {
				b = append(b, ',')
			}
			f := h.fails[fi]
			scratch = h.recordJSON(scratch[:0], int(f.r), int(f.slot), int(f.n))
			b = appendTyped(b, typCompute, scratch)
		}
		for i, fj := range g.posted {
			if i > 0 || len(g.hist) > 0 {
				b = append(b, ',')
			}
			r := &st.recs[st.fails[fj].rec]
			b = appendTyped(b, r.typ, st.text(r.json))
		}
		b = append(b, ']', '}')
	}
	return b
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
