package obi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// decoder reads one answer field by field and remembers the first thing
// that was wrong and where, so a malformed answer gives an error such as
// `OBI: GET /balance/project/…: data.balance: "x" is not a number` instead of a
// zero value or a panic. Unknown fields are ignored (the service may add
// some); missing required fields and wrong types are errors.
type decoder struct {
	where string // the request, for the message
	err   error
}

func (d *decoder) fail(path, format string, args ...any) {
	if d.err == nil {
		d.err = portal.Errorf(portal.EUNAVAILABLE, "OBI: %s: %s: %s", d.where, path, fmt.Sprintf(format, args...))
	}
}

// object is one JSON object being read, with its path from the root.
type object struct {
	d    *decoder
	path string
	m    map[string]json.RawMessage
}

func (d *decoder) object(raw json.RawMessage, path string) object {
	o := object{d: d, path: path}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &o.m) != nil {
		d.fail(path, "not an object")
	}
	return o
}

// envelope reads the success envelope {message, data} and returns data.
func (d *decoder) envelope(body []byte) json.RawMessage {
	if !json.Valid(body) {
		d.fail("body", "not JSON")
		return nil
	}
	o := d.object(body, "body")
	if _, ok := o.m["message"]; !ok && d.err == nil {
		d.fail("message", "missing")
	}
	return o.m["data"]
}

func (o object) sub(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// raw returns the value of key, or nil after recording an error when it is
// required and missing or null.
func (o object) raw(key string, required bool) json.RawMessage {
	v, ok := o.m[key]
	if !ok || string(bytes.TrimSpace(v)) == "null" {
		if required {
			o.d.fail(o.sub(key), "missing")
		}
		return nil
	}
	return v
}

func (o object) has(key string) bool { return o.raw(key, false) != nil }

func (o object) str(key string, required bool) string {
	v := o.raw(key, required)
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		o.d.fail(o.sub(key), "not a string")
	}
	return s
}

// id reads a UUID string; a value present must be one.
func (o object) id(key string, required bool) string {
	present := o.has(key)
	s := o.str(key, required)
	if present && !isUUID(s) {
		o.d.fail(o.sub(key), "%q is not a UUID", s)
	}
	return strings.ToLower(s)
}

// dec reads a decimal sent as a JSON string (the service's form) or a
// number (tolerated, read exactly), within the decimal package's bounds;
// the error says what is wrong ("… is too large", "… has more than 34
// significant digits", "… is not a number").
func (o object) dec(key string, required bool) decimal.Decimal {
	v := o.raw(key, required)
	if v == nil {
		return decimal.Zero
	}
	var d decimal.Decimal
	if err := d.UnmarshalJSON(v); err != nil {
		o.d.fail(o.sub(key), "%s", strings.TrimPrefix(err.Error(), "decimal: "))
	}
	return d
}

// num reads an integer (a JSON number, or a string holding one).
func (o object) num(key string, required bool) int64 {
	v := o.raw(key, required)
	if v == nil {
		return 0
	}
	s := string(v)
	if strings.HasPrefix(s, `"`) {
		json.Unmarshal(v, &s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		o.d.fail(o.sub(key), "not an integer")
	}
	return n
}

// tm reads an ISO 8601 datetime with a zone; zero when absent or null.
func (o object) tm(key string, required bool) time.Time {
	if !o.has(key) {
		o.raw(key, required)
		return time.Time{}
	}
	s := o.str(key, required)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.d.fail(o.sub(key), "%q is not a datetime with a zone", s)
	}
	return t.UTC()
}

// word reads a required, non-empty string (a type or subtype).
func (o object) word(key string) string {
	s := o.str(key, true)
	if s == "" && o.has(key) {
		o.d.fail(o.sub(key), "empty")
	}
	return s
}

// list reads an array.
func (o object) list(key string) []json.RawMessage {
	v := o.raw(key, true)
	if v == nil {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		o.d.fail(o.sub(key), "not a list")
	}
	return items
}

// isUUID reports whether s is a hyphenated UUID in any case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

func pathIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
