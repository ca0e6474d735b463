package amie

import (
	"math"
	"net/http"
	"slices"
	"sort"
	"time"
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
	st := s.status(lo, min(hi, now+1))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, st)
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

// status returns the status array for processing times in [lo, hi).
func (s *Server) status(lo, hi int64) []statusJSON {
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
	return s.statusRows(aggs)
}

// statusJSON is one element of the usage/status array (API.md §4.3).
type statusJSON struct {
	Resource          string
	LoadedRecordCount int64
	FailedJobCount    int64
	TotalCharge       string
	Errors            []groupJSON
}

// groupJSON is the records of one error and usage type.
type groupJSON struct {
	Error     string
	UsageType string
	Records   []answerRecord
}

// statusRows lists the resources with records in the window.
func (s *Server) statusRows(aggs []resAgg) []statusJSON {
	rows := []statusJSON{}
	for r := range aggs {
		a := &aggs[r]
		if a.loaded == 0 && a.failed == 0 {
			continue
		}
		rows = append(rows, statusJSON{Resource: s.cast.resources[r], LoadedRecordCount: a.loaded, FailedJobCount: a.failed,
			TotalCharge: a.posted.total(a.cents).String(), Errors: s.groups(a.groups)})
	}
	return rows
}

// groups writes error groups ordered by error text and usage type;
// every record carries UsageType, which amieclient reads (API.md §4.3).
func (s *Server) groups(groups []errGroup) []groupJSON {
	slices.SortFunc(groups, func(x, y errGroup) int {
		if c := cmpString(reasonText[x.reason], reasonText[y.reason]); c != 0 {
			return c
		}
		return int(x.typ) - int(y.typ)
	})
	h, st := s.hist, s.st
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		gj := groupJSON{Error: reasonText[g.reason], UsageType: typeNames[g.typ], Records: make([]answerRecord, 0, len(g.hist)+len(g.posted))}
		for _, fi := range g.hist {
			f := h.fails[fi]
			rec, _ := h.full(int(f.r), int(f.slot), int(f.n))
			gj.Records = append(gj.Records, rec.out(head{UsageType: typeNames[typCompute]}))
		}
		for _, fj := range g.posted {
			r := &st.recs[st.fails[fj].rec]
			gj.Records = append(gj.Records, stored(r.typ, st.text(r.json), head{UsageType: typeNames[r.typ]}))
		}
		out = append(out, gj)
	}
	return out
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
