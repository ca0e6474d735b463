package obi

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Usage time window (API.md §1: MAX_PAST_EVENT_TIMEDELTA, MAX_FUTURE_EVENT_TIMEDELTA).
const (
	maxPastEvent   = 3600 * 24 * 35
	maxFutureEvent = 60 * 5
)

// laxInt reads an int the way pydantic's lax mode does: a JSON integer, a
// float without a fractional part, or a string holding an integer.
func laxInt(raw json.RawMessage, loc []any) (int64, *detail) {
	parsing := &detail{"int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer"}
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		var u string
		if json.Unmarshal(raw, &u) != nil {
			return 0, parsing
		}
		u = strings.TrimSpace(u)
		if n, err := strconv.ParseInt(u, 10, 64); err == nil {
			return n, nil
		}
		// "10.0" is an integer too; "1e3" and "10.5" are not.
		if d, err := decimal.Parse(u); err == nil && !strings.ContainsAny(u, "eE") {
			if n, ok := integral(d); ok {
				return n, nil
			}
		}
		return 0, parsing
	}
	if s == "" || s == "null" || s == "true" || s == "false" || s[0] == '{' || s[0] == '[' {
		return 0, &detail{"int_type", loc, "Input should be a valid integer"}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	d, err := jsonNumberDecimal(s)
	if err != nil {
		return 0, parsing
	}
	if n, ok := integral(d); ok {
		return n, nil
	}
	return 0, &detail{"int_from_float", loc, "Input should be a valid integer, got a number with a fractional part"}
}

// integral returns d as an int64 when it has no fractional part and fits.
func integral(d decimal.Decimal) (int64, bool) {
	r := d.Round(0)
	if !r.Equal(d) {
		return 0, false
	}
	n, err := strconv.ParseInt(r.String(), 10, 64)
	return n, err == nil
}

func intBounds(f field, n int64, loc []any) []detail {
	if f.ge != "" {
		if lim, _ := strconv.ParseInt(f.ge, 10, 64); n < lim {
			return []detail{{"greater_than_equal", loc, "Input should be greater than or equal to " + f.ge}}
		}
	}
	if f.gt != "" {
		if lim, _ := strconv.ParseInt(f.gt, 10, 64); n <= lim {
			return []detail{{"greater_than", loc, "Input should be greater than " + f.gt}}
		}
	}
	return nil
}

// decField reads a decimal from a string, an int or a float; a float goes
// through Python's repr first, so 50.0 becomes Decimal("50.0").
func decField(f field, raw json.RawMessage, loc []any) (any, []detail) {
	s := string(raw)
	var d decimal.Decimal
	switch {
	case strings.HasPrefix(s, `"`):
		var u string
		json.Unmarshal(raw, &u)
		u = strings.TrimSpace(u)
		switch strings.ToLower(strings.TrimLeft(u, "+-")) {
		case "nan", "snan", "inf", "infinity":
			return nil, []detail{{"finite_number", loc, "Input should be a finite number"}}
		}
		v, err := decimal.Parse(u)
		if err != nil {
			return nil, []detail{{"decimal_parsing", loc, "Input should be a valid decimal"}}
		}
		d = v
	case s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')):
		v, err := jsonNumberDecimal(s)
		if err != nil {
			return nil, []detail{{"decimal_parsing", loc, "Input should be a valid decimal"}}
		}
		d = v
	default:
		return nil, []detail{{"decimal_type", loc, "Decimal input should be an integer, float, string or Decimal object"}}
	}
	if f.gt != "" && d.Cmp(decimal.MustParse(f.gt)) <= 0 {
		return nil, []detail{{"greater_than", loc, "Input should be greater than " + f.gt}}
	}
	if f.ge != "" && d.Cmp(decimal.MustParse(f.ge)) < 0 {
		return nil, []detail{{"greater_than_equal", loc, "Input should be greater than or equal to " + f.ge}}
	}
	if f.le != "" && d.Cmp(decimal.MustParse(f.le)) > 0 {
		return nil, []detail{{"less_than_equal", loc, "Input should be less than or equal to " + f.le}}
	}
	return d, nil
}

// jsonNumberDecimal converts a JSON number the way Python's json module and
// Decimal do: an integer literal exactly, a float through repr(float).
func jsonNumberDecimal(s string) (decimal.Decimal, error) {
	if !strings.ContainsAny(s, ".eE") {
		return decimal.Parse(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return decimal.Decimal{}, fmt.Errorf("obi: %q is not a finite number", s)
	}
	return decimal.Parse(pyFloatRepr(f))
}

// pyFloatRepr is Python's repr(float): the shortest round-trip digits, in
// fixed notation with at least one decimal for exponents -4..15, else
// scientific ("1e+16").
func pyFloatRepr(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	if exp < -4 || exp >= 16 {
		return mant + "e" + fmt.Sprintf("%+03d", exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// awareField reads an AwareDatetime: ISO 8601 text with an offset, or Unix
// seconds (which are UTC).
func awareField(raw json.RawMessage, loc []any) (any, []detail) {
	s := string(raw)
	if s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil {
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC(), nil
		}
	}
	var u string
	if json.Unmarshal(raw, &u) != nil {
		return nil, []detail{{"datetime_type", loc, "Input should be a valid datetime"}}
	}
	t, naive, ok := parseISOTime(strings.TrimSpace(u))
	switch {
	case !ok:
		return nil, []detail{{"datetime_from_date_parsing", loc, "Input should be a valid datetime or date, invalid character in year"}}
	case naive:
		return nil, []detail{{"timezone_aware", loc, "Input should have timezone info"}}
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// parseISOTime reads "YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH:MM]" or a bare
// date; naive reports a value without an offset.
func parseISOTime(s string) (t time.Time, naive, ok bool) {
	if len(s) == 10 {
		t, err := time.Parse("2006-01-02", s)
		return t, true, err == nil
	}
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't' || s[10] == '_') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, true
		}
	}
	return time.Time{}, false, false
}

// checkStamp applies the service's window to Unix seconds n:
// now-35d < n < now+5min, comparing the truncated difference.
func checkStamp(n int64, now time.Time) string {
	nowF := float64(now.UnixNano()) / 1e9
	delta := int64(float64(n) - nowF) // Python int() truncates toward zero
	if -maxPastEvent < delta && delta < maxFutureEvent {
		return ""
	}
	return fmt.Sprintf("Invalid timestamp %d: it must be expressed in seconds since the Unix epoch, "+
		"and fall in the configured expected interval [detected delta=%d]", n, delta)
}

// parseUUID reads the forms Python's UUID accepts (hyphenated or not,
// braces, urn:uuid: prefix, any case) and returns the canonical lower-case
// form, or the reason it is not a UUID.
func parseUUID(s string) (string, string) {
	orig := s
	s = strings.TrimPrefix(strings.TrimPrefix(s, "urn:uuid:"), "URN:UUID:")
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	for i, r := range s {
		if !(r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')) {
			return "", fmt.Sprintf("invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `%c` at %d", r, i+1+len(orig)-len(s))
		}
	}
	hex := strings.ReplaceAll(s, "-", "")
	if strings.Contains(s, "-") {
		groups := strings.Split(s, "-")
		want := []int{8, 4, 4, 4, 12}
		if len(groups) != 5 {
			return "", fmt.Sprintf("invalid group count: expected 5, found %d", len(groups))
		}
		for i, g := range groups {
			if len(g) != want[i] {
				return "", fmt.Sprintf("invalid group length in group %d: expected %d, found %d", i, want[i], len(g))
			}
		}
	} else if len(hex) != 32 {
		return "", fmt.Sprintf("invalid length: expected length 32 for simple format, found %d", len(hex))
	}
	h := strings.ToLower(hex)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], ""
}

// queryInt reads an int query parameter with a lower bound; absent gives def.
func queryInt(q map[string][]string, name string, def, ge int64) (int64, *detail) {
	vs, ok := q[name]
	if !ok || len(vs) == 0 {
		return def, nil
	}
	loc := []any{"query", name}
	raw, _ := json.Marshal(vs[len(vs)-1])
	n, d := laxInt(raw, loc)
	if d != nil {
		return 0, d
	}
	if n < ge {
		return 0, &detail{"greater_than_equal", loc, fmt.Sprintf("Input should be greater than or equal to %d", ge)}
	}
	return n, nil
}

// queryBool reads a bool query parameter as pydantic does.
func queryBool(q map[string][]string, name string) (bool, *detail) {
	vs, ok := q[name]
	if !ok || len(vs) == 0 {
		return false, nil
	}
	switch strings.ToLower(vs[len(vs)-1]) {
	case "true", "1", "yes", "on", "t", "y":
		return true, nil
	case "false", "0", "no", "off", "f", "n":
		return false, nil
	}
	return false, &detail{"bool_parsing", []any{"query", name}, "Input should be a valid boolean, unable to interpret input"}
}
