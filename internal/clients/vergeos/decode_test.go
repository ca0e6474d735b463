package vergeos

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeRecords_Tolerant(t *testing.T) {
	cases := []struct {
		body string
		want []BillingRecord
	}{
		{``, nil},
		{`  `, nil},
		{`null`, nil},
		{`[]`, nil},
		{`{}`, []BillingRecord{{}}},
		{`[{"$key":"7"}]`, []BillingRecord{{Key: "7"}}},
		{`[{"$key":7.0,"created":"1704067200","sent":null,"used_cores":" 12 "}]`, []BillingRecord{{Key: "7", Created: 1704067200, UsedCores: 12}}},
		{`[{"$key":"abc","tier_3_total":"1099511627776","tier_5_used":1.2e12}]`,
			[]BillingRecord{{Key: "abc", Tiers: [NumTiers]Tier{3: {Total: 1 << 40}, 5: {Used: 1200000000000}}}}},
		{`[{"phys_total_cpu":75.9,"description":null,"gpus":""}]`, []BillingRecord{{PhysTotalCPU: 75}}},
		{`[{"description":42,"unknown_field":{"nested":[1]}}]`, []BillingRecord{{Description: "42"}}},
		{`[{"sent":0},{"sent":1704067201}]`, []BillingRecord{{}, {Sent: 1704067201}}},
	}
	for _, c := range cases {
		got, err := DecodeRecords(nil, []byte(c.body))
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %d records, want %d", c.body, len(got), len(c.want))
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: [%d] = %+v, want %+v", c.body, i, got[i], c.want[i])
			}
		}
	}
}

func TestDecodeRecords_ErrorsSayWhere(t *testing.T) {
	cases := map[string]string{
		`[{"$key":1},{"$key":2,"used_cores":"lots"}]`: `[1].used_cores: not a number ("lots")`,
		`[{"tier_0_used":true}]`:                      `[0].tier_0_used: not a number (true)`,
		`[{"created":[1]}]`:                           `[0].created: not a number ([1])`,
		`[{"created":1e30}]`:                          `[0].created: number out of range`,
		`[{"$key":{"a":1}}]`:                          `[0].$key: not a key`,
		`[{"description":{"text":"x"}}]`:              `[0].description: not a string`,
		`[{"$key":1}, 5]`:                             `[1]: expected a billing record object, got a number`,
		`[{"$key":1},`:                                `not valid JSON`,
		`[{"$key":1}] [2]`:                            `data after the list`,
		`"oops"`:                                      `expected a list of billing records, got a string`,
		`<html>bad gateway</html>`:                    `expected a list of billing records`,
		`{"created":"x"}`:                             `created: not a number`,
	}
	for body, want := range cases {
		_, err := DecodeRecords(nil, []byte(body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to say %q", body, err, want)
		}
	}
}

func TestKey(t *testing.T) {
	for raw, want := range map[string]Key{`1`: "1", `"1"`: "1", `1.0`: "1", `1e2`: "100", `"abc123"`: "abc123", `null`: "", `1.5`: "1.5", `-3`: "-3"} {
		var k Key
		if err := json.Unmarshal([]byte(raw), &k); err != nil || k != want {
			t.Errorf("%s: %q %v, want %q", raw, k, err, want)
		}
	}
	if b, _ := json.Marshal(Key("12")); string(b) != "12" {
		t.Errorf("integer key marshals as %s", b)
	}
	if b, _ := json.Marshal(Key("ab")); string(b) != `"ab"` {
		t.Errorf("text key marshals as %s", b)
	}
	if n, ok := KeyOf(42).Int64(); !ok || n != 42 {
		t.Errorf("KeyOf(42).Int64() = %d %v", n, ok)
	}
}

func TestRecord_RoundTrip(t *testing.T) {
	b, err := json.Marshal(sampleRecord)
	if err != nil {
		t.Fatal(err)
	}
	var back BillingRecord
	if err := json.Unmarshal(b, &back); err != nil || back != sampleRecord {
		t.Fatalf("%v\n%s", err, b)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if len(m) != len(Fields) {
		t.Fatalf("marshalled %d fields, want %d", len(m), len(Fields))
	}
	for _, f := range Fields {
		if _, ok := m[f]; !ok {
			t.Errorf("field %s missing from the wire shape", f)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	cases := map[string]string{
		`{"err":"Validation error on field: 'x' - 'fails validation test'"}`: "Validation error on field: 'x' - 'fails validation test'",
		`{"error":"bad things"}`:                      "bad things",
		`{"message":"msg here"}`:                      "msg here",
		`{"error":{"message":"nested msg","code":7}}`: "nested msg",
		`{"err":null,"message":"second"}`:             "second",
		`{"other":1}`:                                 `{"other":1}`,
		`Service   Unavailable`:                       "Service Unavailable",
		``:                                            "",
		`{"err":{"code":5}}`:                          `{"code":5}`,
	}
	for body, want := range cases {
		if got := errorMessage(500, []byte(body)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
	long := strings.Repeat("é", 400)
	if got := errorMessage(500, []byte(long)); len(got) > maxMessage+len("…") || !strings.HasSuffix(got, "…") || !json.Valid([]byte(`"`+got+`"`)) {
		t.Errorf("long body not clipped on a rune boundary: %d bytes", len(got))
	}
}

func FuzzDecodeRecords(f *testing.F) {
	for _, s := range []string{`[]`, `{"$key":1,"sent":null}`, `[{"$key":"x","created":"12","tier_0_used":1e12}]`,
		`[{"used_cores":"lots"}]`, `[1,2]`, `null`, `[{"description":"\u00e9"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := DecodeRecords(nil, b)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip through the wire shape.
		for _, r := range rs {
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("marshal %+v: %v", r, err)
			}
			var back BillingRecord
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("re-decode %s: %v", out, err)
			}
			if r.Key == "" {
				back.Key = ""
			}
			if back != r {
				t.Fatalf("round trip changed the record:\n%+v\n%+v", r, back)
			}
		}
	})
}

func FuzzDecodeSystem(f *testing.F) {
	for _, s := range []string{`{"$key":1,"yb_version":"4.12.0"}`, `[{"$key":"1"}]`, `[]`, `"x"`, `[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { DecodeSystem(b) })
}

func FuzzDecodeGenerate(f *testing.F) {
	for _, s := range []string{`{"$key":"abc","location":"/v4/x/abc","dbpath":"x/abc","$row":1}`, ``, `[]`, `{"$row":"7"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := DecodeGenerate(b)
		if err == nil {
			g.Table()
		}
	})
}

func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{`{"err":"x"}`, `{"error":{"message":"y"}}`, `plain`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m := errorMessage(400, b); len(m) > maxMessage+len("…") {
			t.Fatalf("message of %d bytes", len(m))
		}
	})
}
