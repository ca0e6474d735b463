package amie

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
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
	typ, recs, msg := parseEnvelope(body)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	problems := make([]string, len(recs))
	var counts [3]int
	var p parsed
	s.mu.Lock()
	now := s.advance()
	delay := max(int64(s.opts.ProcessDelay), 0)
	for i, rec := range recs {
		if p, problems[i] = parseRecord(typ, rec, s.cast); problems[i] == "" {
			counts[s.st.ingest(&p, now, delay)]++
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, sendReply(typ, recs, problems, counts))
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

// parseEnvelope reads {"UsageType": ..., "Records": [...]}, keys exactly
// as spelt, returning the type and the records, or what is wrong with
// the envelope.
func parseEnvelope(body []byte) (uint8, []wireRecord, string) {
	var env map[string]json.RawMessage
	var syntax *json.SyntaxError
	if err := json.Unmarshal(body, &env); errors.As(err, &syntax) {
		return 0, nil, "Request body is not valid JSON"
	} else if err != nil || env == nil {
		return 0, nil, "Request body must be a JSON object with UsageType and Records"
	}
	records := env["Records"]
	if len(records) == 0 || records[0] != '[' {
		return 0, nil, "Records must be a list of usage records"
	}
	// An element that is not an object stays nil (encoding/json reports it
	// and goes on), which names its index below.
	var recs []wireRecord
	json.Unmarshal(records, &recs)
	if len(recs) == 0 {
		return 0, nil, "Records must not be empty"
	}
	for i, r := range recs {
		if r == nil {
			return 0, nil, fmt.Sprintf("Records[%d] must be an object", i)
		}
	}
	var name string
	typ, ok := uint8(0), false
	if json.Unmarshal(env["UsageType"], &name) == nil {
		typ, ok = typeOf(name)
	}
	if !ok {
		return 0, nil, "UsageType must be one of Compute, Storage, Adjustment"
	}
	return typ, recs, ""
}

// sendReplyJSON is the answer to POST usage/ (API.md §4.1).
type sendReplyJSON struct {
	Message                 string
	ValidationFailedRecords []wireRecord
}

// sendReply builds {"Message": ..., "ValidationFailedRecords": [...]}.
func sendReply(typ uint8, recs []wireRecord, problems []string, counts [3]int) sendReplyJSON {
	r := sendReplyJSON{ValidationFailedRecords: []wireRecord{}}
	for i, p := range problems {
		if p != "" {
			r.ValidationFailedRecords = append(r.ValidationFailedRecords, echo(typ, recs[i], p))
		}
	}
	r.Message = sendMessage(counts, len(r.ValidationFailedRecords))
	return r
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

// echo is a record that failed validation as amieclient parses it
// (API.md §4.4): UsageType and Error with every field as sent. A compute
// record always gets an Attributes object, which amieclient needs.
func echo(typ uint8, rec wireRecord, problem string) wireRecord {
	out := make(wireRecord, len(rec)+2)
	for k, v := range rec {
		if k == "Attributes" && (v.kind != vOther || v.text[0] != '{') {
			continue
		}
		out[k] = v
	}
	delete(out, "FailedRecordID")
	out["UsageType"] = value{kind: vString, text: []byte(typeNames[typ])}
	out["Error"] = value{kind: vString, text: []byte(problem)}
	if _, ok := out["Attributes"]; !ok && typ == typCompute {
		out["Attributes"] = value{kind: vOther, text: []byte("{}")}
	}
	return out
}
