package obi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Error codes of the service's error envelope.
const (
	CodeInvalidRequest      = "INVALID_REQUEST"
	CodeEntityNotFound      = "ENTITY_NOT_FOUND"
	CodeInsufficientFunds   = "INSUFFICIENT_FUNDS"
	CodeJobAlreadyStarted   = "JOB_ALREADY_STARTED"
	CodeJobAlreadyCancelled = "JOB_ALREADY_CANCELLED"
)

// APIError is an error answer of the service, the cause of the
// *portal.Error a call returns.
type APIError struct {
	Status int
	// Code is the envelope's error_code; "" for FastAPI's own answers
	// ({"detail": ...}: unknown route, wrong method) and the text/plain 500.
	Code string
	// Message is the service's message ("Insufficient funds in the
	// virtual-lab account", "Validation error", "Not Found",
	// "Internal Server Error").
	Message string
	// Fields are the validation errors of a 422, in the service's order.
	Fields []FieldError
	// RequestedAmount is details.requested_amount of a 402.
	RequestedAmount *decimal.Decimal
}

// FieldError is one validation error: where and what.
type FieldError struct {
	Loc  []string // e.g. ["body", "amount"]
	Type string   // pydantic's error type, e.g. "greater_than"
	Msg  string   // e.g. "Input should be greater than 0"
}

// String renders "body.amount: Input should be greater than 0".
func (f FieldError) String() string { return strings.Join(f.Loc, ".") + ": " + f.Msg }

// Error implements error.
func (e *APIError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.text()) }

// text is the message with the field errors or the requested amount, as
// the portal shows it.
func (e *APIError) text() string {
	msg := e.Message
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.String()
		}
		msg += ": " + strings.Join(parts, "; ")
	}
	if e.RequestedAmount != nil {
		msg += fmt.Sprintf(" (requested amount %s)", e.RequestedAmount)
	}
	return msg
}

// parseError reads any error answer: the envelope, FastAPI's {"detail"},
// or text.
func parseError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var env struct {
		ErrorCode *string         `json:"error_code"`
		Message   *string         `json:"message"`
		Details   json.RawMessage `json:"details"`
		Detail    json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) == nil {
		switch {
		case env.ErrorCode != nil || env.Message != nil:
			if env.ErrorCode != nil {
				e.Code = *env.ErrorCode
			}
			if env.Message != nil {
				e.Message = *env.Message
			}
			e.readDetails(env.Details)
		case len(env.Detail) > 0:
			var s string
			if json.Unmarshal(env.Detail, &s) == nil {
				e.Message = s
			} else {
				e.Message = "Validation error"
				e.readDetails(env.Detail)
			}
		}
	}
	if e.Message == "" {
		e.Message = plainText(body)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// readDetails reads a list of pydantic errors or the 402's requested amount.
func (e *APIError) readDetails(raw json.RawMessage) {
	var items []struct {
		Type string `json:"type"`
		Loc  []any  `json:"loc"`
		Msg  string `json:"msg"`
	}
	if json.Unmarshal(raw, &items) == nil {
		for _, it := range items {
			loc := make([]string, len(it.Loc))
			for i, l := range it.Loc {
				loc[i] = fmt.Sprint(l)
			}
			e.Fields = append(e.Fields, FieldError{Loc: loc, Type: it.Type, Msg: it.Msg})
		}
		return
	}
	var funds struct {
		RequestedAmount *decimal.Decimal `json:"requested_amount"`
	}
	if json.Unmarshal(raw, &funds) == nil && funds.RequestedAmount != nil {
		e.RequestedAmount = funds.RequestedAmount
	}
}

// plainText is a short, printable first line of a text answer.
func plainText(body []byte) string {
	s := strings.TrimSpace(string(body))
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if !utf8.ValidString(s) || strings.HasPrefix(s, "<") {
		return ""
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
