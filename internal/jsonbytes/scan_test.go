package jsonbytes

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEachMemberAndElement(t *testing.T) {
	doc := []byte(` { "a" : [1, {"x":"]}"}, "q\"uote"] , "K\u00e9y":null,"n":-1.5e3, "o":{"deep":[[]]} } `)
	var keys []string
	var vals []string
	EachMember(doc, func(k, v []byte) { keys = append(keys, string(k)); vals = append(vals, string(v)) })
	if !reflect.DeepEqual(keys, []string{"a", "Kéy", "n", "o"}) {
		t.Fatalf("keys %q", keys)
	}
	if !reflect.DeepEqual(vals, []string{`[1, {"x":"]}"}, "q\"uote"]`, "null", "-1.5e3", `{"deep":[[]]}`}) {
		t.Fatalf("values %q", vals)
	}
	var elems []string
	EachElement([]byte(vals[0]), func(i int, v []byte) {
		if i != len(elems) {
			t.Fatalf("index %d", i)
		}
		elems = append(elems, string(v))
	})
	if !reflect.DeepEqual(elems, []string{"1", `{"x":"]}"}`, `"q\"uote"`}) {
		t.Fatalf("elements %q", elems)
	}
	if Unquote([]byte(elems[2])) != `q"uote` || Unquote([]byte(`"plain"`)) != "plain" {
		t.Fatal("unquote")
	}
	EachElement([]byte(`[]`), func(int, []byte) { t.Fatal("element of an empty array") })
	EachMember([]byte(`{}`), func(_, _ []byte) { t.Fatal("member of an empty object") })
}

// FuzzEachMember checks the scanner against encoding/json on valid objects.
func FuzzEachMember(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"b\\\"c","d":[1,{"e":null}]}`, `{"x":{"y":{"z":[true,false]}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want map[string]json.RawMessage
		// encoding/json replaces invalid UTF-8 in keys with U+FFFD; the
		// scanner keeps the bytes. Such a key matches no key a reader
		// looks for either way, so only valid UTF-8 is compared.
		if !utf8.ValidString(s) || json.Unmarshal([]byte(s), &want) != nil || !json.Valid([]byte(s)) {
			return
		}
		got := map[string]json.RawMessage{}
		EachMember([]byte(s), func(k, v []byte) { got[string(k)] = append(json.RawMessage(nil), v...) })
		if len(got) != len(want) {
			t.Fatalf("%s: %d members, want %d", s, len(got), len(want))
		}
		for k, v := range want {
			var a, b any
			json.Unmarshal(v, &a)
			if json.Unmarshal(got[k], &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: member %q = %s, want %s", s, k, got[k], v)
			}
		}
	})
}

// FuzzAppendString checks the encoder against encoding/json.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "tab\tnew\nline\r", "\x00\x1f\x7f", "é🙂", "\xff\xfe bad utf8", "<script>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q encoded as %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q round-trips as %q, encoding/json gives %q", s, back, wantBack)
		}
		if string(AppendString(nil, []byte(s))) != string(got) {
			t.Fatal("string and []byte encodings differ")
		}
	})
}

func TestAppendUTC(t *testing.T) {
	for _, tm := range []time.Time{time.Date(2024, 5, 1, 10, 5, 9, 999, time.FixedZone("x", 3600)), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(AppendUTC(nil, tm)), tm.UTC().Format("2006-01-02T15:04:05Z"); got != want {
			t.Errorf("AppendUTC(%v) = %s, want %s", tm, got, want)
		}
	}
}
