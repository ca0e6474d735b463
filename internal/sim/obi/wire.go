package obi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Error codes of the service's ErrorResponse envelope (API.md §1).
const (
	codeInvalid      = "INVALID_REQUEST"
	codeNotFound     = "ENTITY_NOT_FOUND"
	codeInsufficient = "INSUFFICIENT_FUNDS"
	codeStarted      = "JOB_ALREADY_STARTED"
	codeCancelled    = "JOB_ALREADY_CANCELLED"
)

// envelope is the success answer {message, data}. Data is always written,
// as null when nil.
type envelope struct {
	Message string `json:"message"`
	Data    any    `json:"data"`
}

// errorEnvelope is the ErrorResponse {error_code, message, details}.
type errorEnvelope struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
	Details   any    `json:"details"`
}

// apiError is a business error a handler returns: the status and the
// envelope's fields.
type apiError struct {
	status  int
	code    string
	message string
	details any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func notFound(msg string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound, message: msg}
}

func invalid(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalid, message: msg}
}

// errInternal is answered like an unhandled exception in the service: 500
// text/plain (duplicate ids, foreign key violations).
var errInternal = &apiError{status: http.StatusInternalServerError}

// writeJSON writes v as the whole body with status. Encoding never fails
// for the simulator's own types; a failure would be a bug, answered as 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeInternal(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The service (Starlette JSONResponse) sends no trailing newline.
	w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func writeData(w http.ResponseWriter, status int, message string, data any) {
	writeJSON(w, status, envelope{Message: message, Data: data})
}

func writeError(w http.ResponseWriter, err *apiError) {
	if err.status == http.StatusInternalServerError {
		writeInternal(w)
		return
	}
	writeJSON(w, err.status, errorEnvelope{ErrorCode: err.code, Message: err.message, Details: err.details})
}

// writeInternal answers like Starlette's ServerErrorMiddleware.
func writeInternal(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte("Internal Server Error"))
}

// writeDetail answers FastAPI's own {"detail": ...} errors (404, 405).
func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

// pyTime formats t the way pydantic serialises an aware UTC datetime:
// seconds always, microseconds only when non-zero (then all six digits).
func pyTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + "Z"
}

// pyStrTime formats t like Python's str(datetime) of an aware UTC value,
// as it appears inside messages ("2026-11-21 10:00:00.123456+00:00").
func pyStrTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02 15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + "+00:00"
}

// nullTime is a datetime that is JSON null when zero.
type nullTime time.Time

// MarshalJSON writes the pydantic form or null.
func (t nullTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + pyTime(time.Time(t)) + `"`), nil
}

// wireTime is a datetime that is always present.
type wireTime time.Time

// MarshalJSON writes the pydantic form.
func (t wireTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + pyTime(time.Time(t)) + `"`), nil
}
