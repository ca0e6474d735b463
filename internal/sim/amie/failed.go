package amie

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/jsonbytes"
)

// handleFailed is GET usage/failed: every failure not yet cleared, in
// FailedRecordID order, under ValidationFailedRecords (the key amieclient reads).
func (s *Server) handleFailed(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.advance()
	b := []byte(`{"ValidationFailedRecords":[`)
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	h, st := s.hist, s.st
	for i, f := range h.fails {
		if f.proc > now {
			break
		}
		if !st.histCleared[i] {
			sep()
			b = h.appendFailure(b, i)
		}
	}
	for j, f := range st.fails {
		if !f.cleared {
			sep()
			b = st.appendFailure(b, j)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, append(b, ']', '}', '\n'))
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
	b := []byte(`{"Message":`)
	b = jsonbytes.AppendString(b, strconv.Itoa(n)+" failed records cleared")
	writeJSON(w, http.StatusOK, append(b, '}', '\n'))
}

// appendFailure appends a failed record as amieclient parses it (API.md §4.4).
func appendFailure(b []byte, typ, reason uint8, id int64, canonJSON []byte) []byte {
	b = append(b, `{"UsageType":"`...)
	b = append(b, typeNames[typ]...)
	b = append(b, `","Error":`...)
	b = jsonbytes.AppendString(b, reasonText[reason])
	b = append(b, `,"FailedRecordID":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ',')
	return append(b, canonJSON[1:]...)
}

// appendTyped appends a record with its UsageType, as status Errors carry them.
func appendTyped(b []byte, typ uint8, canonJSON []byte) []byte {
	b = append(b, `{"UsageType":"`...)
	b = append(b, typeNames[typ]...)
	b = append(b, '"', ',')
	return append(b, canonJSON[1:]...)
}

func (h *history) appendFailure(b []byte, i int) []byte {
	f := h.fails[i]
	rec := h.recordJSON(nil, int(f.r), int(f.slot), int(f.n))
	return appendFailure(b, typCompute, f.reason, histFailBase+int64(i), rec)
}

func (st *store) appendFailure(b []byte, j int) []byte {
	f := st.fails[j]
	r := &st.recs[f.rec]
	return appendFailure(b, r.typ, f.reason, st.failBase+int64(j), st.text(r.json))
}
