package vergeos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeRecords decodes a billing list answer the way both SDKs accept it:
// a JSON array of rows, a single row object (a one-element list), or an
// empty body or null (no rows). An error names the element and field
// ("[4].used_cores: not a number (\"x\")"). It appends to dst.
func DecodeRecords(dst []BillingRecord, body []byte) ([]BillingRecord, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return dst, nil
	}
	switch body[0] {
	case '{':
		var r BillingRecord
		if err := json.Unmarshal(body, &r); err != nil {
			return dst, err
		}
		return append(dst, r), nil
	case '[':
		return decodeArray(dst, body)
	default:
		return dst, fmt.Errorf("expected a list of billing records, got %s", kindOf(body))
	}
}

func decodeArray(dst []BillingRecord, body []byte) ([]BillingRecord, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // the '['
		return dst, fmt.Errorf("not valid JSON: %w", err)
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return dst, fmt.Errorf("[%d]: not valid JSON: %w", i, err)
		}
		if len(raw) == 0 || raw[0] != '{' {
			return dst, fmt.Errorf("[%d]: expected a billing record object, got %s", i, kindOf(raw))
		}
		r, err := decodeWire(raw)
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				return dst, fmt.Errorf("[%d].%w", i, err)
			}
			return dst, fmt.Errorf("[%d]: %w", i, err)
		}
		dst = append(dst, r)
	}
	if _, err := dec.Token(); err != nil { // the ']'
		return dst, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return dst, errors.New("not valid JSON: data after the list")
	}
	return dst, nil
}

// decodeRecord decodes a single-row answer (GET /billing/{key}): an
// object, or a list holding exactly one object. ok is false for an empty
// answer.
func decodeRecord(body []byte) (r BillingRecord, ok bool, err error) {
	rs, err := DecodeRecords(nil, body)
	switch {
	case err != nil || len(rs) == 0:
		return BillingRecord{}, false, err
	case len(rs) > 1:
		return BillingRecord{}, false, fmt.Errorf("expected one billing record, got %d", len(rs))
	}
	return rs[0], true, nil
}
