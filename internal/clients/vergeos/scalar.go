package vergeos

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// flexInt decodes a JSON integer that VergeOS may send as a number, as a
// numeric string, or as null (zero). A fractional value is truncated toward
// zero, as pyvergeos's int() does. Anything else is an error whose text
// says what was found.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	n, err := parseFlexInt(b)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

// errNotNumber is wrapped by every flexInt failure.
var errNotNumber = errors.New("not a number")

func parseFlexInt(b []byte) (int64, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return 0, nil
	}
	if n, ok := plainInt(b); ok {
		return n, nil
	}
	text := string(b)
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, errNotNumber
		}
		text = strings.TrimSpace(s)
		if text == "" {
			return 0, nil
		}
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, &valueError{errNotNumber, b}
	}
	// 2^63 is exactly representable; anything at or beyond it overflows int64.
	if f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return 0, &valueError{errors.New("number out of range"), b}
	}
	return int64(f), nil
}

// plainInt parses an unsigned or negative decimal integer of at most 18
// digits without allocating: the common case of every billing number.
func plainInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// valueError says what was wrong and shows (a bounded part of) the value.
type valueError struct {
	err error
	raw []byte
}

func (e *valueError) Error() string {
	v := string(e.raw)
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return e.err.Error() + " (" + v + ")"
}

func (e *valueError) Unwrap() error { return e.err }

// flexString decodes a JSON string that may arrive as null (empty) or as a
// number or boolean (its text).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 1 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b):
		*f = flexString(b[1 : len(b)-1]) // no escapes: the text is the bytes inside the quotes
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return &valueError{errors.New("not a string"), b}
		}
		*f = flexString(s)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return &valueError{errors.New("not a string"), b}
	default:
		*f = flexString(b)
	}
	return nil
}

// UnmarshalJSON accepts a number, a string or null.
func (k *Key) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*k = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return &valueError{errors.New("not a key"), b}
		}
		*k = Key(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		if _, ok := plainInt(b); ok {
			*k = Key(b)
			return nil
		}
		// An integral number keeps its integer text (1.0 and 1e0 are key "1").
		if n, err := parseFlexInt(b); err == nil && strconv.FormatInt(n, 10) != string(b) {
			if f, _ := strconv.ParseFloat(string(b), 64); f == float64(n) {
				*k = KeyOf(n)
				return nil
			}
		}
		*k = Key(b)
	default:
		return &valueError{errors.New("not a key"), b}
	}
	return nil
}

// MarshalJSON writes an integer key as a number and any other as a string.
func (k Key) MarshalJSON() ([]byte, error) {
	if n, ok := k.Int64(); ok {
		return strconv.AppendInt(nil, n, 10), nil
	}
	return json.Marshal(string(k))
}
