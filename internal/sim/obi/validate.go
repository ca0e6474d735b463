package obi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// This file validates request bodies the way the service's pydantic v2
// models do in lax mode (API.md §1, §11.2): fields in declaration order,
// then unknown fields (extra="forbid"), each failure one item of the 422
// details with type, loc and msg (ctx is left out, as in the examples).

// kind is the type of a body field.
type kind uint8

const (
	kUUID    kind = iota // a UUID string
	kStr                 // a string
	kInt                 // an int; numeric strings are accepted
	kDec                 // a decimal from a string, an int or a float
	kLiteral             // one fixed string
	kEnum                // one string of values
	kAware               // a datetime with a time zone
	kStamp               // Unix seconds inside the usage time window
	kTiers               // a non-empty list of price tiers
)

// field describes one body field.
type field struct {
	name     string
	kind     kind
	optional bool     // may be absent
	nullable bool     // may be null
	ge, gt   string   // lower bounds, as decimal text ("" = none)
	le       string   // upper bound
	values   []string // the literal or the enum's values
	noLegacy bool     // refuse the legacy subtypes
}

// schema is a model: its fields in declaration order.
type schema []field

// detail is one item of a 422 answer's details.
type detail struct {
	Type string `json:"type"`
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
}

// values holds a validated body: string, int64, decimal.Decimal,
// time.Time, []values (tiers) or nil for an explicit null.
type values map[string]any

func (v values) str(k string) string          { s, _ := v[k].(string); return s }
func (v values) num(k string) int64           { n, _ := v[k].(int64); return n }
func (v values) dec(k string) decimal.Decimal { d, _ := v[k].(decimal.Decimal); return d }
func (v values) tm(k string) time.Time        { t, _ := v[k].(time.Time); return t }

// has reports whether k was given and is not null.
func (v values) has(k string) bool { return v[k] != nil }

// member is one key of a JSON object with its raw value.
type member struct {
	key string
	raw json.RawMessage
}

// validator checks one request; now bounds the usage timestamps.
type validator struct {
	now time.Time
}

// body validates raw as the body of model sc. It returns the values, or the
// details of a 422 answer.
func (vd validator) body(sc schema, raw []byte) (values, []detail) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, []detail{{"missing", []any{"body"}, "Field required"}}
	}
	members, d := parseObject(raw, []any{"body"})
	if d != nil {
		return nil, []detail{*d}
	}
	return vd.object(sc, members, []any{"body"})
}

// parseObject reads a JSON object keeping its key order; a repeated key
// keeps its first place and its last value, as Python's json does.
func parseObject(raw []byte, loc []any) ([]member, *detail) {
	if !json.Valid(raw) {
		return nil, jsonInvalid(raw, loc)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, _ := dec.Token()
	if tok != json.Delim('{') {
		return nil, &detail{"model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from"}
	}
	var out []member
	index := map[string]int{}
	for dec.More() {
		kt, _ := dec.Token()
		key, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, jsonInvalid(raw, loc)
		}
		if i, ok := index[key]; ok {
			out[i].raw = v
			continue
		}
		index[key] = len(out)
		out = append(out, member{key, v})
	}
	return out, nil
}

func jsonInvalid(raw []byte, loc []any) *detail {
	var v any
	err := json.Unmarshal(raw, &v)
	pos := int64(len(raw))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		pos = se.Offset
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		pos = int64(len(raw))
	}
	return &detail{"json_invalid", append(append([]any{}, loc...), pos), "JSON decode error"}
}

// object validates members against sc under loc.
func (vd validator) object(sc schema, members []member, loc []any) (values, []detail) {
	got := make(map[string]json.RawMessage, len(members))
	for _, m := range members {
		got[m.key] = m.raw
	}
	out := values{}
	var errs []detail
	known := map[string]bool{}
	for _, f := range sc {
		known[f.name] = true
		floc := append(append([]any{}, loc...), f.name)
		raw, ok := got[f.name]
		if !ok {
			if !f.optional {
				errs = append(errs, detail{"missing", floc, "Field required"})
			}
			continue
		}
		v, ds := vd.value(f, raw, floc)
		errs = append(errs, ds...)
		if len(ds) == 0 {
			out[f.name] = v
		}
	}
	for _, m := range members {
		if !known[m.key] {
			errs = append(errs, detail{"extra_forbidden", append(append([]any{}, loc...), m.key), "Extra inputs are not permitted"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// value validates one field's raw JSON.
func (vd validator) value(f field, raw json.RawMessage, loc []any) (any, []detail) {
	if string(raw) == "null" && f.nullable {
		return nil, nil
	}
	one := func(typ, msg string) []detail { return []detail{{typ, loc, msg}} }
	switch f.kind {
	case kUUID:
		return vd.uuidField(raw, loc)
	case kStr:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, one("string_type", "Input should be a valid string")
		}
		return s, nil
	case kInt:
		n, d := laxInt(raw, loc)
		if d != nil {
			return nil, []detail{*d}
		}
		return n, intBounds(f, n, loc)
	case kDec:
		return decField(f, raw, loc)
	case kLiteral, kEnum:
		return choiceField(f, raw, loc)
	case kAware:
		return awareField(raw, loc)
	case kStamp:
		return vd.stampField(raw, loc)
	case kTiers:
		return vd.tiersField(raw, loc)
	}
	return nil, one("unknown", "unsupported field")
}

func (vd validator) uuidField(raw json.RawMessage, loc []any) (any, []detail) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, []detail{{"uuid_type", loc, "UUID input should be a string, bytes or UUID object"}}
	}
	id, msg := parseUUID(s)
	if msg != "" {
		return nil, []detail{{"uuid_parsing", loc, "Input should be a valid UUID, " + msg}}
	}
	return id, nil
}

func choiceField(f field, raw json.RawMessage, loc []any) (any, []detail) {
	var s string
	ok := json.Unmarshal(raw, &s) == nil
	if ok {
		for _, v := range f.values {
			if s == v {
				if f.noLegacy && legacySubtypes[s] {
					return nil, []detail{{"value_error", loc, "Value error, subtype `" + s + "` is legacy"}}
				}
				return s, nil
			}
		}
	}
	typ := "enum"
	if f.kind == kLiteral {
		typ = "literal_error"
	}
	return nil, []detail{{typ, loc, "Input should be " + expected(f.values)}}
}

// expected lists choices the way pydantic does: 'a', 'b' or 'c'.
func expected(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + v + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func (vd validator) tiersField(raw json.RawMessage, loc []any) (any, []detail) {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, []detail{{"list_type", loc, "Input should be a valid list"}}
	}
	if len(items) == 0 {
		return nil, []detail{{"too_short", loc, "List should have at least 1 item after validation, not 0"}}
	}
	var out []values
	var errs []detail
	for i, it := range items {
		iloc := append(append([]any{}, loc...), i)
		members, d := parseObject(it, iloc)
		if d != nil {
			errs = append(errs, *d)
			continue
		}
		v, ds := vd.object(tierSchema, members, iloc)
		errs = append(errs, ds...)
		out = append(out, v)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func (vd validator) stampField(raw json.RawMessage, loc []any) (any, []detail) {
	n, d := laxInt(raw, loc)
	if d != nil {
		return nil, []detail{*d}
	}
	if msg := checkStamp(n, vd.now); msg != "" {
		return nil, []detail{{"value_error", loc, "Value error, " + msg}}
	}
	return time.Unix(n, 0).UTC(), nil
}
