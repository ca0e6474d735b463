package decimal

import (
	"encoding/json"
	"testing"
)

func TestParseString_RoundTrip(t *testing.T) {
	// Each text must come back unchanged, as Python's str(Decimal(text)) does.
	for _, s := range []string{"0", "10.00000", "73.50", "0.01500", "-3000.00", "1000.0", "0.000001", "1E-7", "1.5E+3", "-0.5", "123456789012345678901234567"} {
		d, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got := d.String(); got != s {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
	}
}

func TestParse_Normalises(t *testing.T) {
	for in, want := range map[string]string{"+1": "1", ".5": "0.5", "5.": "5", "1e2": "1E+2", "0.0000001": "1E-7", "-0": "0"} {
		if got := MustParse(in).String(); got != want {
			t.Errorf("Parse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse_Refuses(t *testing.T) {
	for _, s := range []string{"", "-", ".", "1.2.3", "abc", "NaN", "Infinity", "1e", "1e99999999999", "1,5", " 1"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}

func TestArithmetic_PythonExponents(t *testing.T) {
	cases := []struct{ got, want string }{
		{MustParse("1.10").Add(MustParse("2.2")).String(), "3.30"},
		{MustParse("10").Sub(MustParse("0.01")).String(), "9.99"},
		{MustParse("0.00001").Mul(MustParse("1500")).String(), "0.01500"},
		{MustParse("1.5").Mul(MustParse("-2")).String(), "-3.0"},
		{MustParse("0.1").Add(MustParse("0.2")).String(), "0.3"},
		{MustParse("2000.00").Sub(MustParse("5000")).String(), "-3000.00"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %s, want %s", i, c.got, c.want)
		}
	}
}

func TestStringFixed_HalfEven(t *testing.T) {
	for in, want := range map[string]string{
		"2000": "2000.00", "0.125": "0.12", "0.135": "0.14", "-0.125": "-0.12", "1.005": "1.00",
		"0.015": "0.02", "7": "7.00", "0.001": "0.00", "99.999": "100.00", "-3000": "-3000.00",
	} {
		if got := MustParse(in).StringFixed(2); got != want {
			t.Errorf("StringFixed(%s) = %s, want %s", in, got, want)
		}
	}
	if got := MustParse("12.5").StringFixed(0); got != "12" {
		t.Errorf("StringFixed(12.5, 0) = %s", got)
	}
}

func TestDivRound(t *testing.T) {
	q, err := MustParse("100").DivRound(MustParse("3"), 4)
	if err != nil || q.String() != "33.3333" {
		t.Fatalf("100/3 = %v, %v", q, err)
	}
	q, _ = MustParse("-1").DivRound(MustParse("8"), 2)
	if q.String() != "-0.12" {
		t.Errorf("-1/8 = %s, want -0.12", q)
	}
	q, _ = MustParse("0.5").DivRound(MustParse("0.25"), 0)
	if q.String() != "2" {
		t.Errorf("0.5/0.25 = %s", q)
	}
	if _, err := MustParse("1").DivRound(Zero, 2); err == nil {
		t.Error("division by zero succeeded")
	}
}

func TestPrecisionLimit(t *testing.T) {
	a := MustParse("1234567890123456789012345678") // 28 digits
	got := a.Mul(MustParse("10.5")).String()
	if got != "1.296296284629629628462962962E+28" {
		t.Errorf("got %s", got)
	}
}

func TestCmpAndZero(t *testing.T) {
	if MustParse("1.0").Cmp(MustParse("1.00")) != 0 || !MustParse("1.0").Equal(MustParse("1")) {
		t.Error("1.0 != 1.00")
	}
	if MustParse("-0.01").Cmp(Zero) >= 0 || Zero.Sign() != 0 || !Zero.IsZero() {
		t.Error("sign handling")
	}
	if Max(MustParse("2"), MustParse("10")).String() != "10" || Min(MustParse("2"), MustParse("10")).String() != "2" {
		t.Error("min/max")
	}
	if Zero.String() != "0" || Zero.Add(MustParse("1.50")).String() != "1.50" {
		t.Error("zero value")
	}
}

func TestJSON(t *testing.T) {
	var v struct {
		A Decimal `json:"a"`
		B Decimal `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"a":"0.01500","b":50.10}`), &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"a":"0.01500","b":"50.10"}` {
		t.Errorf("got %s", out)
	}
	for _, bad := range []string{`{"a":null}`, `{"a":"x"}`, `{"a":true}`, `{"a":"1e"}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestScanValue(t *testing.T) {
	var d Decimal
	for _, src := range []any{"12.30", []byte("12.30")} {
		if err := d.Scan(src); err != nil || d.String() != "12.30" {
			t.Errorf("Scan(%v) = %v, %v", src, d, err)
		}
	}
	if err := d.Scan(int64(7)); err != nil || d.String() != "7" {
		t.Errorf("Scan(int64) = %v", d)
	}
	v, _ := MustParse("0.50").Value()
	if v != "0.50" {
		t.Errorf("Value = %v", v)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "1.50", "-2E+3", ".5", "1e-9", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		// The text form must parse back to the same number and the same text.
		back, err := Parse(d.String())
		if err != nil || back.String() != d.String() || back.Cmp(d) != 0 {
			t.Fatalf("%q -> %q -> %v (%v)", s, d.String(), back, err)
		}
	})
}
