package amie

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzSend feeds arbitrary bodies to POST usage/: the simulator must never
// panic, and must answer 200 with a UsageResponse or 400/413 with {"error"}.
func FuzzSend(f *testing.F) {
	for _, c := range loadCapture(f) {
		if c.Method == "POST" {
			f.Add(c.BodyRaw)
		}
	}
	for _, s := range []string{``, `{}`, `{"UsageType":"Compute","Records":[{}]}`, `{"UsageType":"Storage","Records":[{"Attributes":[1]}]}`,
		`{"UsageType":"Compute","Records":[{"ParentRecordID":[[]],"Charge":"1e5","Username":"\u0000"}]}`} {
		f.Add(s)
	}
	s := newTestSim(f)
	f.Fuzz(func(t *testing.T, body string) {
		code, b := s.call("POST", "/usage/", body)
		var problems []string
		switch code {
		case 200:
			problems = checkReply("POST", "usage/", code, []byte(b))
			if strings.Contains(body, "Storage") {
				problems = nil // storage failures are valid replies that amieclient cannot parse
			}
		case 400, 413:
			problems = checkErrorReply([]byte(b))
		default:
			t.Fatalf("status %d", code)
		}
		if len(problems) > 0 {
			t.Fatalf("%s -> %d %s: %v", body, code, b, problems)
		}
	})
}

// FuzzValue checks the reading and echoing of a record's values against
// encoding/json: a string's text is what encoding/json decodes, a number
// is kept as written, and every value echoes as JSON equal to what came in.
func FuzzValue(f *testing.F) {
	for _, s := range []string{`"plain"`, `"esc\"aped\\"`, `"\u00e9\ud83d\ude42<&>"`, "\"\xff bad\"", `12.50`, `-1e3`, `null`, `true`,
		`{"a":[1,{"b":null}]}`, `[null]`, `[["1"]]`, `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v value
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return
		}
		want, err := decodeUseNumber([]byte(s))
		if err != nil {
			t.Fatalf("%s: read as a value, not by encoding/json: %v", s, err)
		}
		switch w := want.(type) {
		case nil:
			if v.kind != vAbsent {
				t.Fatalf("%s: kind %d, want absent", s, v.kind)
			}
		case string:
			if v.kind != vString || string(v.text) != w {
				t.Fatalf("%s: %d %q, want the string %q", s, v.kind, v.text, w)
			}
		case json.Number:
			if v.kind != vNumber || string(v.text) != w.String() {
				t.Fatalf("%s: %d %q, want the number as written", s, v.kind, v.text)
			}
		default:
			if v.kind != vOther {
				t.Fatalf("%s: kind %d, want other", s, v.kind)
			}
		}
		echoed := marshal(map[string]value{"k": v})
		back, err := decodeUseNumber(echoed)
		if err != nil || !reflect.DeepEqual(back, map[string]any{"k": want}) {
			t.Fatalf("%s echoes as %s: %v", s, echoed, err)
		}
	})
}

func decodeUseNumber(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
