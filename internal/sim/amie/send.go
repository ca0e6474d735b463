package amie

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/jsonbytes"
)

// handleSend is POST usage/: validate every record, queue the valid ones,
// answer exactly 200 with the Message and the records that failed.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.opts.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "Request too large")
		return
	}
	body, err := readBody(w, r, s.opts.MaxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "Request too large")
			return
		}
		writeError(w, http.StatusBadRequest, "Could not read the request body")
		return
	}
	typ, raws, msg := parseEnvelope(body)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	problems := make([]string, len(raws))
	var counts [3]int
	var p parsed
	s.mu.Lock()
	now := s.advance()
	delay := max(int64(s.opts.ProcessDelay), 0)
	for i, raw := range raws {
		if p, problems[i] = parseRecord(typ, raw, s.cast); problems[i] == "" {
			counts[s.st.ingest(&p, now, delay)]++
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, sendReply(typ, raws, problems, counts))
}

// readBody reads the whole body, at most limit bytes, in one allocation
// when the length is announced.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength <= 0 {
		return io.ReadAll(body)
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, b); err != nil {
		return nil, err
	}
	return b, nil
}

// parseEnvelope reads {"UsageType": ..., "Records": [...]}, returning the
// type and the raw records, or what is wrong with the envelope.
func parseEnvelope(body []byte) (uint8, [][]byte, string) {
	if !json.Valid(body) {
		return 0, nil, "Request body is not valid JSON"
	}
	if body[jsonbytes.SkipWS(body, 0)] != '{' {
		return 0, nil, "Request body must be a JSON object with UsageType and Records"
	}
	var utype, records []byte
	jsonbytes.EachMember(body, func(k, v []byte) {
		switch string(k) {
		case "UsageType":
			utype = v
		case "Records":
			records = v
		}
	})
	if len(records) == 0 || records[0] != '[' {
		return 0, nil, "Records must be a list of usage records"
	}
	var raws [][]byte
	bad := -1
	jsonbytes.EachElement(records, func(i int, v []byte) {
		if v[0] != '{' && bad < 0 {
			bad = i
		}
		raws = append(raws, v)
	})
	switch {
	case len(raws) == 0:
		return 0, nil, "Records must not be empty"
	case bad >= 0:
		return 0, nil, fmt.Sprintf("Records[%d] must be an object", bad)
	}
	name, kind := scalar(utype)
	typ, ok := typeOf(string(name))
	if kind != kText || utype[0] != '"' || !ok {
		return 0, nil, "UsageType must be one of Compute, Storage, Adjustment"
	}
	return typ, raws, ""
}

// sendReply builds {"Message": ..., "ValidationFailedRecords": [...]}.
func sendReply(typ uint8, raws [][]byte, problems []string, counts [3]int) []byte {
	failed := 0
	b := []byte(`{"Message":`)
	for _, p := range problems {
		if p != "" {
			failed++
		}
	}
	b = jsonbytes.AppendString(b, sendMessage(counts, failed))
	b = append(b, `,"ValidationFailedRecords":[`...)
	first := true
	for i, p := range problems {
		if p == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendEcho(b, typ, raws[i], p)
	}
	return append(b, ']', '}', '\n')
}

// sendMessage says how many records were queued, e.g. "3 records validated
// and queued, 1 failed validation (1 already received, not counted again)".
func sendMessage(counts [3]int, failed int) string {
	msg := strconv.Itoa(counts[inNew]+counts[inReplaced]) + " records validated and queued"
	if failed > 0 {
		msg += ", " + strconv.Itoa(failed) + " failed validation"
	}
	var notes []string
	if n := counts[inDuplicate]; n > 0 {
		notes = append(notes, strconv.Itoa(n)+" already received, not counted again")
	}
	if n := counts[inReplaced]; n > 0 {
		notes = append(notes, strconv.Itoa(n)+" replaced an earlier record")
	}
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return msg
}

// appendEcho appends a record that failed validation as amieclient parses
// it (API.md §4.4): UsageType and Error first, then every field as sent. A
// compute record always gets an Attributes object, which amieclient needs.
func appendEcho(b []byte, typ uint8, raw []byte, problem string) []byte {
	b = append(b, `{"UsageType":"`...)
	b = append(b, typeNames[typ]...)
	b = append(b, `","Error":`...)
	b = jsonbytes.AppendString(b, problem)
	hasAttrs := false
	jsonbytes.EachMember(raw, func(k, v []byte) {
		switch string(k) {
		case "UsageType", "Error", "FailedRecordID":
			return
		case "Attributes":
			if v[0] != '{' {
				return
			}
			hasAttrs = true
		}
		b = append(b, ',')
		b = jsonbytes.AppendString(b, k)
		b = append(b, ':')
		b = append(b, v...)
	})
	if typ == typCompute && !hasAttrs {
		b = append(b, `,"Attributes":{}`...)
	}
	return append(b, '}')
}
