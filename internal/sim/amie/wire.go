package amie

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Kinds of a received value.
const (
	vAbsent = iota // missing or null
	vString        // a JSON string
	vNumber        // a JSON number
	vOther         // true, false, an object or an array
)

// What scalar says of a value.
const (
	kAbsent = iota // missing or null
	kText          // a JSON string or number
	kBad           // true, false, an object or an array
)

// value is one member of a received record. The API takes a JSON string
// or a number for every value (API.md §3); text is a string's content or a
// number as written, and any other value is kept as written (vOther), for
// the arrays of ParentRecordID, Attributes and the echo of a failed record.
type value struct {
	text []byte
	kind uint8
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *value) UnmarshalJSON(b []byte) error {
	*v = value{}
	switch {
	case string(b) == "null":
	case b[0] == '"':
		v.kind = vString
		// Without escapes a JSON string is its own bytes, which encoding/json
		// has checked; the rest, and invalid UTF-8, it decodes.
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			v.text = bytes.Clone(inner)
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v.text = []byte(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		v.kind, v.text = vNumber, bytes.Clone(b)
	default:
		v.kind, v.text = vOther, bytes.Clone(b)
	}
	return nil
}

// MarshalJSON implements json.Marshaler: the value as it was received
// (a string re-encoded from its content).
func (v value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case vAbsent:
		return []byte("null"), nil
	case vString:
		return json.Marshal(string(v.text))
	}
	return v.text, nil
}

// scalar returns the text of a string or number, and what v was.
func scalar(v value) ([]byte, int) {
	switch v.kind {
	case vAbsent:
		return nil, kAbsent
	case vOther:
		return nil, kBad
	}
	return v.text, kText
}

// parentID reads ParentRecordID: amieclient sends a one-element array
// ([null] or ["12345"]), others a string, a number or null.
func parentID(v value) ([]byte, int) {
	if v.kind != vOther || v.text[0] != '[' {
		return scalar(v)
	}
	var list []value
	if err := json.Unmarshal(v.text, &list); err != nil {
		return nil, kBad
	}
	if len(list) == 0 {
		return nil, kAbsent
	}
	return scalar(list[0])
}

// timeLayouts are the accepted time forms: RFC 3339 with Z or an offset,
// Python's naive isoformat (taken as UTC), each with optional fractional
// seconds (Go's parser accepts them after the seconds), a space instead of
// the T, or a bare date.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTime reads a time in any of timeLayouts; naive times are UTC.
func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// charge is a record's charge: coef × 10^exp when it fits an int64 and
// was written without an exponent, else big (kept as text, parsed again
// with decimal.Parse when summed).
type charge struct {
	coef int64
	exp  int32
	big  bool
}

// parseCharge reads a charge's text, or reports that it is not a number.
func parseCharge(t []byte) (charge, bool) {
	s, neg := t, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	var c charge
	digits, point, fast := 0, -1, len(s) > 0
	for i, ch := range s {
		switch {
		case ch >= '0' && ch <= '9' && digits < 18:
			c.coef = c.coef*10 + int64(ch-'0')
			digits++
		case ch == '.' && point < 0:
			point = i
		default:
			fast = false
		}
	}
	if fast && digits > 0 {
		if point >= 0 {
			c.exp = -int32(len(s) - point - 1)
		}
		if neg {
			c.coef = -c.coef
		}
		return c, true
	}
	if _, err := decimal.Parse(string(t)); err != nil {
		return charge{}, false
	}
	return charge{big: true}, true
}

// decimalOf returns c as a decimal, parsing text when c is big.
func (c charge) decimalOf(text []byte) decimal.Decimal {
	if c.big {
		d, _ := decimal.Parse(string(text))
		return d
	}
	return decimal.New(c.coef, c.exp)
}

// sign returns -1, 0 or +1.
func (c charge) sign(text []byte) int {
	if c.big {
		return c.decimalOf(text).Sign()
	}
	switch {
	case c.coef < 0:
		return -1
	case c.coef > 0:
		return 1
	}
	return 0
}
