package amie

import (
	"net/http"
	"strconv"
	"strings"
)

// handleFailed is GET usage/failed: every failure not yet cleared, in
// FailedRecordID order, under ValidationFailedRecords (the key amieclient reads).
func (s *Server) handleFailed(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.advance()
	list := failedJSON{ValidationFailedRecords: []answerRecord{}}
	h, st := s.hist, s.st
	for i, f := range h.fails {
		if f.proc > now {
			break
		}
		if !st.histCleared[i] {
			list.ValidationFailedRecords = append(list.ValidationFailedRecords, h.failure(i))
		}
	}
	for j, f := range st.fails {
		if !f.cleared {
			list.ValidationFailedRecords = append(list.ValidationFailedRecords, st.failure(j))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, list)
}

// failedJSON is the answer to GET usage/failed (API.md §4.2).
type failedJSON struct {
	ValidationFailedRecords []answerRecord
}

// handleClear is DELETE usage/failed/{ids}: ids joined with commas.
// Unknown ids are ignored; an id that is not a number is a 400.
func (s *Server) handleClear(w http.ResponseWriter, r *http.Request) {
	var ids []int64
	for _, part := range strings.Split(r.PathValue("ids"), ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Invalid FailedRecordID "+strconv.Quote(part))
			return
		}
		ids = append(ids, id)
	}
	s.mu.Lock()
	n := s.st.clear(ids, s.advance())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct{ Message string }{strconv.Itoa(n) + " failed records cleared"})
}

// failure is history failure i as usage/failed lists it (API.md §4.4).
func (h *history) failure(i int) answerRecord {
	f := h.fails[i]
	rec, _ := h.full(int(f.r), int(f.slot), int(f.n))
	return rec.out(head{UsageType: typeNames[typCompute], Error: reasonText[f.reason], FailedRecordID: histFailBase + int64(i)})
}

// failure is received failure j as usage/failed lists it.
func (st *store) failure(j int) answerRecord {
	f := st.fails[j]
	r := &st.recs[f.rec]
	return stored(r.typ, st.text(r.json), head{UsageType: typeNames[r.typ], Error: reasonText[f.reason], FailedRecordID: st.failBase + int64(j)})
}
