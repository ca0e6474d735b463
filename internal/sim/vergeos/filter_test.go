package vergeos

import (
	"math"
	"strings"
	"testing"
)

func rec(key, created, usedCores int64, desc string) *record {
	r := &record{desc: desc}
	r.v[fKey], r.v[fCreated], r.v[fUsedCores] = key, created, usedCores
	return r
}

func TestParseFilter_Matches(t *testing.T) {
	r := rec(5, 1704067200, 32, "Billing report for January")
	cases := []struct {
		filter string
		want   bool
	}{
		{"", true},
		{"created ge 1704000000 and created le 1706745600", true},
		{"created gt 1704067200", false},
		{"created ge 1704067200", true},
		{"created lt 1704067200", false},
		{"created le 1704067200", true},
		{"created eq 1704067200", true},
		{"created ne 1704067200", false},
		{"used_cores gt 31.5", true},
		{"used_cores eq '32'", true},
		{"used_cores gt 40 or $key eq 5", true},
		{"used_cores gt 40 or $key eq 5 and created lt 0", false}, // and binds tighter
		{"(used_cores gt 40 or $key eq 5) and created gt 0", true},
		{"((used_cores eq 32))", true},
		{"CREATED ge 1", false}, // field names are case-sensitive: parse error, checked below
		{"created GE 1 AND used_cores Le 32", true},
		{"sent eq null", true},
		{"sent eq 0", true},
		{"gpus eq false", true},
		{"description eq 'Billing report for January'", true},
		{"description bw 'Billing'", true},
		{"description ew 'January'", true},
		{"description cs 'report'", true},
		{"description cs 'REPORT'", false},
		{"description ct 'REPORT'", true},
		{"description rx '^Bill.*ary$'", true},
		{"description eq 'It''s'", false},
		{`description ne "x"`, true},
		{"created bw '1704'", true},
	}
	for _, c := range cases {
		n, err := parseFilter(c.filter)
		if c.filter == "CREATED ge 1" {
			if err == nil {
				t.Errorf("%q: accepted an unknown (upper-case) field", c.filter)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.filter, err)
			continue
		}
		if got := n == nil || n.match(r); got != c.want {
			t.Errorf("%q on %+v: got %v, want %v", c.filter, r.v[:3], got, c.want)
		}
	}
}

func TestParseFilter_QuoteEscapes(t *testing.T) {
	n, err := parseFilter("description eq 'It''s here'")
	if err != nil {
		t.Fatal(err)
	}
	if !n.match(rec(1, 1, 1, "It's here")) || n.match(rec(1, 1, 1, "It''s here")) {
		t.Fatal("'' inside a quoted value must stand for one quote")
	}
}

func TestParseFilter_Malformed(t *testing.T) {
	cases := map[string]string{
		"created":                   "expected an operator",
		"created ge":                "expected a value",
		"created gte 5":             `unknown operator "gte"`,
		"nosuch eq 1":               "unknown field 'nosuch'",
		"created ge 1 and":          "unexpected end",
		"created ge 1 or":           "unexpected end",
		"(created ge 1":             "missing ')'",
		"created ge 1)":             `unexpected ")"`,
		"created ge 1 created le 2": `unexpected "created"`,
		"()":                        "expected a field name",
		"created ge (":              "expected a value",
		"description eq 'open":      "unterminated string",
		"created ge 'abc'":          "'created' is a number; 'abc' is not",
		"used_cores eq abc":         "'used_cores' is a number",
		"description rx '('":        "bad regular expression",
		"and created ge 1":          "unknown field 'and'",
		"created ge 1 and and gpus": "unknown field 'and'",
	}
	for f, want := range cases {
		_, err := parseFilter(f)
		if err == nil {
			t.Errorf("%q: accepted", f)
			continue
		}
		if !strings.HasPrefix(err.Error(), "Invalid filter: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %q does not say %q", f, err, want)
		}
	}
}

func TestSplit_BoundsAndRest(t *testing.T) {
	cases := []struct {
		filter  string
		b       bounds
		restNil bool
	}{
		{"created ge 10 and created le 20", bounds{10, 20, math.MinInt64, math.MaxInt64}, true},
		{"created gt 10 and created lt 20", bounds{11, 19, math.MinInt64, math.MaxInt64}, true},
		{"created gt 10.5 and created lt 19.5", bounds{11, 19, math.MinInt64, math.MaxInt64}, true},
		{"created eq 15", bounds{15, 15, math.MinInt64, math.MaxInt64}, true},
		{"$key ge 3 and $key le 9 and gpus gt 1", bounds{math.MinInt64, math.MaxInt64, 3, 9}, false},
		{"created ge 10 or created le 20", openBounds(), false},
		{"(created ge 10 and created le 20) and gpus eq 1", bounds{10, 20, math.MinInt64, math.MaxInt64}, false},
		{"created ne 10", openBounds(), false},
		{"created eq 1.5", bounds{1, 0, math.MinInt64, math.MaxInt64}, true},
	}
	for _, c := range cases {
		n, err := parseFilter(c.filter)
		if err != nil {
			t.Fatalf("%q: %v", c.filter, err)
		}
		b := openBounds()
		rest := split(n, &b)
		if b != c.b || (rest == nil) != c.restNil {
			t.Errorf("%q: bounds %+v rest %v, want %+v rest-nil %v", c.filter, b, rest, c.b, c.restNil)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"created ge 1704000000 and created le 1706745600", "(a or b", "description eq 'x''y'",
		"gpus gt 1 or (vgpus le 2 and sent eq null)", "description rx '[a-z]+'", "$key eq -1.5e3"} {
		f.Add(s)
	}
	r := rec(1, 1704067200, 4, "Hourly billing report")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseFilter(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "Invalid filter: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if n != nil {
			want := n.match(r)
			b := openBounds()
			rest := split(n, &b)
			// The split must not change what matches.
			inB := r.v[fCreated] >= b.createdLo && r.v[fCreated] <= b.createdHi && r.v[fKey] >= b.keyLo && r.v[fKey] <= b.keyHi
			got := inB && (rest == nil || rest.match(r))
			if got != want {
				t.Fatalf("%q: split gives %v, the whole filter %v", s, got, want)
			}
		}
	})
}
