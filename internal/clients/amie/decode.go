package amie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/jsonbytes"
)

// Decoding is strict about the shape amieclient relies on (API.md §4: an
// object or array where one is promised, required keys, known UsageType)
// and tolerant inside failed records, which echo whatever was sent: a field
// there that cannot be read is noted in FailedRecord.Problems, never an error.

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

// validJSON checks a whole answer once, before the scanner walks it.
func validJSON(body []byte) error {
	if !json.Valid(body) {
		return errAt("", "not valid JSON")
	}
	return nil
}

// object reads a JSON object (already validated) into its members; keys
// keep their case, and a repeated key keeps its last value.
func object(raw json.RawMessage, path string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errAt(path, "not a JSON object")
	}
	obj := map[string]json.RawMessage{}
	jsonbytes.EachMember(raw, func(k, v []byte) { obj[string(k)] = v })
	return obj, nil
}

// array reads a JSON array (already validated); null or a missing key is empty.
func array(raw json.RawMessage, path string) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	if raw[0] != '[' {
		return nil, errAt(path, "not a JSON array")
	}
	var list []json.RawMessage
	jsonbytes.EachElement(raw, func(_ int, v []byte) { list = append(list, v) })
	return list, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// requiredString reads a required JSON string.
func requiredString(raw json.RawMessage, path string) (string, error) {
	if len(raw) == 0 {
		return "", errAt(path, "missing")
	}
	if raw[0] != '"' {
		return "", errAt(path, "not a string")
	}
	return jsonbytes.Unquote(raw), nil
}

// optionalString reads a JSON string that may be missing or null.
func optionalString(raw json.RawMessage, path string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	return requiredString(raw, path)
}

// scalarText returns the text of a JSON string or number; ok is false for
// anything else, and null or missing give "".
func scalarText(raw json.RawMessage) (string, bool) {
	switch {
	case isNull(raw):
		return "", true
	case raw[0] == '"':
		return jsonbytes.Unquote(raw), true
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), true
	}
	return "", false
}

// integer reads an integer given as a JSON number or a numeric string.
func integer(raw json.RawMessage, path string) (int64, error) {
	if len(raw) == 0 {
		return 0, errAt(path, "missing")
	}
	s, ok := scalarText(raw)
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if !ok || err != nil {
		return 0, errAt(path, "not an integer: %s", clip(raw))
	}
	return n, nil
}

// amount reads a decimal given as a JSON string or number, exactly.
func amount(raw json.RawMessage, path string) (decimal.Decimal, error) {
	if len(raw) == 0 {
		return decimal.Zero, errAt(path, "missing")
	}
	s, ok := scalarText(raw)
	if !ok {
		return decimal.Zero, errAt(path, "not a number: %s", clip(raw))
	}
	d, err := decimal.Parse(strings.TrimSpace(s))
	if err != nil { // says what is wrong: not a number, too large, too many digits
		return decimal.Zero, errAt(path, "%s", strings.TrimPrefix(err.Error(), "decimal: "))
	}
	return d, nil
}

// clip shortens a raw value for a message.
func clip(raw json.RawMessage) string {
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
