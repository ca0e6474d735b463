package amie

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Answers are read with encoding/json into wire structs (replies.go,
// failed_record.go) whose leaves take every form the API allows, then
// checked field by field. Decoding is strict about the shape amieclient
// relies on (API.md §4: an object or array where one is promised,
// required keys, known UsageType) and tolerant inside failed records,
// which echo whatever was sent: a field there that cannot be read is
// noted in FailedRecord.Problems, never an error. Keys match as
// encoding/json matches them, exactly or else ignoring case: the client
// reads what it is given; the simulator is the strict side.

// decodeError is a problem in an answer, with the path to it.
type decodeError struct {
	path string
	msg  string
}

func (e *decodeError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func errAt(path, format string, args ...any) error {
	return &decodeError{path: path, msg: fmt.Sprintf(format, args...)}
}

// unmarshal decodes a whole answer into v, which wants a JSON object or
// array (what), turning encoding/json's errors into decodeErrors.
func unmarshal(body []byte, v any, what string) error {
	if string(bytes.TrimSpace(body)) == "null" {
		return errAt("", "not a JSON %s", what)
	}
	err := json.Unmarshal(body, v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syn):
		return errAt("", "not valid JSON")
	case errors.As(err, &typ):
		return errAt(typ.Field, "not %s", jsonKind(typ.Type))
	}
	return errAt("", "%v", err)
}

// jsonKind names the JSON value a Go type is read from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	}
	return "a " + t.String()
}

// scalarKind tells what a JSON value given for a scalar was.
type scalarKind uint8

const (
	absent    scalarKind = iota // missing or null
	isString                    // a JSON string
	isNumber                    // a JSON number
	notScalar                   // true, false, an object or an array
)

// scalar is a value the API may give as a JSON string or a number:
// amieclient passes on whatever type its caller used (API.md §3), so a
// count may be 10 or "10". Anything else is kept as notScalar, for the
// reader to report where it is.
type scalar struct {
	// text is a string's content, a number as written, or the start of
	// a notScalar value (for messages).
	text string
	kind scalarKind
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *scalar) UnmarshalJSON(b []byte) error {
	*s = scalar{}
	switch {
	case string(b) == "null":
	case b[0] == '"':
		s.kind = isString
		// A string without escapes is its bytes (encoding/json has checked
		// them); the rest, and invalid UTF-8, are left to it to decode.
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			s.text = string(inner)
			return nil
		}
		return json.Unmarshal(b, &s.text)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		s.kind, s.text = isNumber, string(b)
	default:
		s.kind, s.text = notScalar, clip(b)
	}
	return nil
}

// value returns the text of a string or number, "" for anything else.
func (s scalar) value() string {
	if s.kind == notScalar {
		return ""
	}
	return s.text
}

// String shows the value as it was written, for messages.
func (s scalar) String() string {
	if s.kind == isString {
		return clip([]byte(strconv.Quote(s.text)))
	}
	return s.text
}

// requiredString reads a required JSON string.
func (s scalar) requiredString(path string) (string, error) {
	switch s.kind {
	case absent:
		return "", errAt(path, "missing")
	case isString:
		return s.text, nil
	}
	return "", errAt(path, "not a string")
}

// optionalString reads a JSON string that may be missing or null.
func (s scalar) optionalString(path string) (string, error) {
	if s.kind == absent {
		return "", nil
	}
	return s.requiredString(path)
}

// integer reads a required integer given as a JSON number or a numeric string.
func (s scalar) integer(path string) (int64, error) {
	if s.kind == absent {
		return 0, errAt(path, "missing")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s.value()), 10, 64)
	if s.kind == notScalar || err != nil {
		return 0, errAt(path, "not an integer: %s", s)
	}
	return n, nil
}

// amount reads a required decimal given as a JSON string or number, exactly.
func (s scalar) amount(path string) (decimal.Decimal, error) {
	if s.kind == absent {
		return decimal.Zero, errAt(path, "missing")
	}
	if s.kind == notScalar {
		return decimal.Zero, errAt(path, "not a number: %s", s)
	}
	d, err := decimal.Parse(strings.TrimSpace(s.value()))
	if err != nil { // says what is wrong: not a number, too large, too many digits
		return decimal.Zero, errAt(path, "%s", strings.TrimPrefix(err.Error(), "decimal: "))
	}
	return d, nil
}

// clip shortens a raw value for a message.
func clip(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

// timeLayouts are the time forms accepted in answers: RFC 3339 with Z or
// an offset, naive ISO 8601 (taken as UTC), fractional seconds, a space
// for the T, or a bare date.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime reads a time as the API writes them; naive times are UTC.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("amie: %q is not an ISO 8601 time", s)
}
