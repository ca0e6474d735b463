// Package portal holds the accounting portal's domain: its error codes, the
// signed-in user with roles and project membership, the outbox item with
// its states and kinds, the audit entry, and the small types that the
// cache, the clients, the handlers and the templates share. It imports
// nothing else of the portal.
package portal

import (
	"errors"
	"fmt"
)

// Error codes. Handlers map them to HTTP statuses in one place; clients map
// upstream answers to them, so the rest of the portal never looks at an
// upstream's status codes.
const (
	EINVALID      = "invalid"      // the input was wrong; the message says what and where
	ENOTFOUND     = "not_found"    // no such thing (or not visible to this user)
	ECONFLICT     = "conflict"     // the thing changed or already exists
	EUNAUTHORIZED = "unauthorized" // not signed in, or credentials refused
	EFORBIDDEN    = "forbidden"    // signed in, but not allowed
	ETOOLARGE     = "too_large"    // a body or upload over its limit
	EUNAVAILABLE  = "unavailable"  // a service could not be reached, or said the request was not applied (429): nothing happened
	EUNCERTAIN    = "uncertain"    // a write was sent and no answer proves its fate (no answer, a 5xx, an unreadable 2xx): it may have taken effect
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is the portal's error: a code for programs and a message for people.
// Message is safe to show to the user; Err (the cause) is for logs only.
type Error struct {
	Code    string
	Message string
	// Status is the HTTP status an upstream answered with, when there was one.
	Status int
	Err    error
}

// Error implements the error interface.
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	default:
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with code and message that keeps err as its cause.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// *Error, and internal ones, give a generic text so that internals never
// reach a page.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) && e.Code != EINTERNAL && e.Message != "" {
		return e.Message
	}
	return "Internal error."
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
