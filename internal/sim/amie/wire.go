package amie

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/jsonbytes"
)

// Kinds of a scalar value.
const (
	kAbsent = iota // missing or null
	kText          // a JSON string or number
	kBad           // true, false, an object or an array
)

// scalar returns the text of a JSON string (unquoted) or number (as written).
func scalar(v []byte) ([]byte, int) {
	switch {
	case len(v) == 0 || string(v) == "null":
		return nil, kAbsent
	case v[0] == '"':
		if bytes.IndexByte(v, '\\') < 0 {
			return v[1 : len(v)-1], kText
		}
		var s string
		json.Unmarshal(v, &s)
		return []byte(s), kText
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		return v, kText
	}
	return nil, kBad
}

// parentID reads ParentRecordID: amieclient sends a one-element array
// ([null] or ["12345"]), others a string, a number or null.
func parentID(v []byte) ([]byte, int) {
	if len(v) == 0 || v[0] != '[' {
		return scalar(v)
	}
	i := jsonbytes.SkipWS(v, 1)
	if v[i] == ']' {
		return nil, kAbsent
	}
	return scalar(v[i:jsonbytes.SkipValue(v, i)])
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
