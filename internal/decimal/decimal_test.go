package decimal

import (
	"encoding/json"
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseString_RoundTrip(t *testing.T) {
	// Each text must come back unchanged, as Python's str(Decimal(text)) does.
	for _, s := range []string{"0", "10.00000", "73.50", "0.01500", "-3000.00", "1000.0", "0.000001", "1E-7", "1.5E+3", "-0.5",
		"123456789012345678901234567", "-0", "-0.00", "0E-9", "0E+2", "-1E-7", "0.000", "1234567890123456789012345678901234",
		"1E+100", "9.999999999999999999999999999999999E+100", "1E-100", "-1.000000000000000000000000000000000E-67"} {
		d, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if got := d.String(); got != s {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
		if b, _ := d.MarshalText(); string(b) != s {
			t.Errorf("Parse(%q).MarshalText() = %q", s, b)
		}
	}
}

func TestParse_Normalises(t *testing.T) {
	for in, want := range map[string]string{"+1": "1", ".5": "0.5", "5.": "5", "1e2": "1E+2", "0.0000001": "1E-7", "+0": "0",
		"0.0000000": "0E-7", "-.0": "-0.0", "1E+0": "1", "12e-1": "1.2", "000123.4500": "123.4500",
		"0." + strings.Repeat("0", 99) + "1": "1E-100"} {
		if got := MustParse(in).String(); got != want {
			t.Errorf("Parse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse_RefusesSyntax(t *testing.T) {
	for _, s := range []string{"", "-", "+", ".", "-.", "1.2.3", "abc", "NaN", "nan", "sNaN", "Infinity", "-Inf", "inf", "1e", "1e+",
		"1e-", "1e5.5", "1e+-5", "1e--5", "+-1", "--1", "1,5", " 1", "1 ", "1\n", "٣", "0x10", "1_000", "1e1_0", "e5", ".e5", "1.5e"} {
		_, err := Parse(s)
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", s, err)
		}
	}
}

func TestParse_Bounds(t *testing.T) {
	digits34 := strings.Repeat("9", 34)
	for _, s := range []string{digits34, "-" + digits34, "0." + digits34, digits34 + "E+67", "1E+100", "-9.9E+100", "1E-100",
		"0.1" + strings.Repeat("0", 33), "0E-133", "0E+100", "0." + strings.Repeat("0", 133), "00000000000000000000000000000000000000001"} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q) refused: %v", s, err)
		}
	}
	cases := []struct {
		in   string
		want error
		text string
	}{
		{digits34 + "9", ErrTooManyDigits, "has more than 34 significant digits"},
		{"1." + strings.Repeat("0", 34), ErrTooManyDigits, "has more than 34 significant digits"},
		{"1." + strings.Repeat("0", 400) + "1", ErrTooManyDigits, "(403 characters)"},
		{digits34 + "E+68", ErrTooLarge, "is too large"},
		{"1E+101", ErrTooLarge, "is too large (numbers must be below 1E+101)"},
		{"99999999999999999999", nil, ""},
		{"1e99999999999", ErrTooLarge, "is too large"},
		{"-1E-101", ErrTooSmall, "is too small (numbers other than 0 must be at least 1E-100)"},
		{"0." + strings.Repeat("0", 5000) + "1", ErrTooSmall, "is too small"},
		{"1e-99999999999", ErrTooSmall, "is too small"},
		{"0E-134", errZeroExponent, "is 0 with an exponent outside"},
		{"0E+101", errZeroExponent, "is 0 with an exponent outside"},
		{"0e99999999999", errZeroExponent, "is 0 with an exponent outside"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		if c.want == nil {
			if err != nil {
				t.Errorf("Parse(%.40q): %v", c.in, err)
			}
			continue
		}
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("Parse(%.40q) = %v, want %v mentioning %q", c.in, err, c.want, c.text)
		}
		if len(err.Error()) > 200 {
			t.Errorf("Parse(%.40q): the error is %d characters long", c.in, len(err.Error()))
		}
	}
}

func TestArithmetic_Python(t *testing.T) {
	// Expected results are Python's (decimal module, default context).
	cases := []struct{ a, op, b, want string }{
		{"1.10", "+", "2.2", "3.30"},
		{"10", "-", "0.01", "9.99"},
		{"0.00001", "*", "1500", "0.01500"},
		{"1.5", "*", "-2", "-3.0"},
		{"0.1", "+", "0.2", "0.3"},
		{"2000.00", "-", "5000", "-3000.00"},
		{"-0", "+", "-0", "-0"},
		{"0", "+", "-0", "0"},
		{"-0", "-", "0", "-0"},
		{"0", "-", "0", "0"},
		{"-0.00", "+", "0", "0.00"},
		{"-0", "*", "5", "-0"},
		{"0", "*", "-5", "-0"},
		{"1E+2", "+", "1", "101"},
		{"1234567890123456789012345678", "*", "10.5", "1.296296284629629628462962962E+28"},
		{"9999999999999999999999999999", "+", "1", "1.000000000000000000000000000E+28"},
		{"1E+100", "+", "1E-100", "1.000000000000000000000000000E+100"},
		{"9999999999999999999999999999999999E+67", "+", "9999999999999999999999999999999999E+67", "2.000000000000000000000000000E+101"},
		{"1E-100", "*", "1E-100", "1E-200"},
		{"5", "-", "5.00", "0.00"},
		{"-5", "+", "5.00", "0.00"},
		{"0.5", "*", "0.5", "0.25"},
		{"123.456", "-", "123.456", "0.000"},
	}
	for _, c := range cases {
		a, b := MustParse(c.a), MustParse(c.b)
		var got Decimal
		switch c.op {
		case "+":
			got = a.Add(b)
		case "-":
			got = a.Sub(b)
		case "*":
			got = a.Mul(b)
		}
		if got.String() != c.want {
			t.Errorf("%s %s %s = %s, want %s", c.a, c.op, c.b, got, c.want)
		}
	}
	// Unary minus and abs round to the context and make zeros positive.
	for in, want := range map[string][2]string{"0": {"0", "0"}, "-0": {"0", "0"}, "-0.00": {"0.00", "0.00"}, "5": {"-5", "5"},
		"1E+2": {"-1E+2", "1E+2"}, "1234567890123456789012345678901234": {"-1.234567890123456789012345679E+33", "1.234567890123456789012345679E+33"}} {
		d := MustParse(in)
		if d.Neg().String() != want[0] || d.Abs().String() != want[1] {
			t.Errorf("-%s = %s, |%s| = %s, want %v", in, d.Neg(), in, d.Abs(), want)
		}
	}
	// Operands are values: arithmetic never changes them.
	a, b := MustParse("1.5"), MustParse("2.25")
	_, _, _ = a.Add(b), a.Mul(b), a.Neg()
	if a.String() != "1.5" || b.String() != "2.25" {
		t.Errorf("operands changed: %s %s", a, b)
	}
}

func TestStringFixed_HalfEven(t *testing.T) {
	for in, want := range map[string]string{
		"2000": "2000.00", "0.125": "0.12", "0.135": "0.14", "-0.125": "-0.12", "1.005": "1.00",
		"0.015": "0.02", "7": "7.00", "0.001": "0.00", "99.999": "100.00", "-3000": "-3000.00",
		// Python's f"{d:.2f}", which keeps the sign of a zero.
		"-0.001": "-0.00", "-0": "-0.00", "-0.005": "-0.00", "9.995": "10.00", "-9.995": "-10.00", "0E-9": "0.00", "1E+2": "100.00",
		"123456789012345678901234567890.125": "123456789012345678901234567890.12",
	} {
		if got := MustParse(in).StringFixed(2); got != want {
			t.Errorf("StringFixed(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"12.5": "12", "13.5": "14", "-2.5": "-2", "1E+2": "100"} {
		if got := MustParse(in).StringFixed(0); got != want {
			t.Errorf("StringFixed(%s, 0) = %s, want %s", in, got, want)
		}
	}
	if got := MustParse("1.5").Round(3).String(); got != "1.500" {
		t.Errorf("Round(1.5, 3) = %s", got)
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
	// Ties only when exact: 1/8 = 0.125 → 0.12, but 0.1250000001/1 → 0.13.
	for _, c := range [][4]string{{"1", "8", "2", "0.12"}, {"3", "8", "2", "0.38"}, {"0.1250000000000000000000000000000001", "1", "2", "0.13"},
		{"2", "3", "0", "1"}, {"1", "3E+50", "2", "0.00"}, {"1E+100", "1E-100", "0", "1" + strings.Repeat("0", 200)}, {"-7", "-2", "0", "4"}} {
		q, err := MustParse(c[0]).DivRound(MustParse(c[1]), int(c[2][0]-'0'))
		if err != nil || q.String() != c[3] {
			t.Errorf("%s/%s to %s places = %s, %v; want %s", c[0], c[1], c[2], q, err, c[3])
		}
	}
	if _, err := MustParse("1").DivRound(Zero, 2); err == nil {
		t.Error("division by zero succeeded")
	}
}

// TestDivRound_MatchesRational checks DivRound against exact rational
// arithmetic on random operands, ties included.
func TestDivRound_MatchesRational(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		a := New(r.Int64N(2_000_001)-1_000_000, int32(r.IntN(21)-10))
		b := New(r.Int64N(2_000_001)-1_000_000, int32(r.IntN(21)-10))
		if b.IsZero() {
			continue
		}
		places := r.IntN(8)
		got, err := a.DivRound(b, places)
		if err != nil {
			t.Fatal(err)
		}
		if want := ratDivRound(a, b, places); rat(got).Cmp(want) != 0 {
			t.Fatalf("%s / %s to %d places = %s, want %s", a, b, places, got, want)
		}
		if got.Exponent() != int32(-places) {
			t.Fatalf("%s / %s to %d places = %s: exponent %d", a, b, places, got, got.Exponent())
		}
	}
}

func rat(d Decimal) *big.Rat {
	r, ok := new(big.Rat).SetString(d.String())
	if !ok {
		panic(d.String())
	}
	return r
}

// ratDivRound is a/b rounded half-to-even to places, by rationals.
func ratDivRound(a, b Decimal, places int) *big.Rat {
	q := new(big.Rat).Quo(rat(a), rat(b))
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	q.Mul(q, new(big.Rat).SetInt(scale))
	n, rem := new(big.Int).QuoRem(q.Num(), q.Denom(), new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2))
	if c := twice.Cmp(q.Denom()); c > 0 || c == 0 && n.Bit(0) == 1 {
		n.Add(n, big.NewInt(int64(q.Sign())))
	}
	return new(big.Rat).SetFrac(n, scale)
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
	if negZero := MustParse("-0"); !negZero.IsZero() || negZero.Sign() != 0 || !negZero.Equal(Zero) || negZero.Cmp(MustParse("0.00")) != 0 {
		t.Error("-0 is not 0")
	}
	if Max(MustParse("2"), MustParse("10")).String() != "10" || Min(MustParse("2"), MustParse("10")).String() != "2" {
		t.Error("min/max")
	}
	if Zero.String() != "0" || Zero.Add(MustParse("1.50")).String() != "1.50" {
		t.Error("zero value")
	}
	if MustParse("1E+100").Cmp(MustParse("9.99E+99")) <= 0 || MustParse("-1E-100").Cmp(MustParse("-2E-100")) <= 0 {
		t.Error("extremes")
	}
}

func TestIsIntegerPlaces(t *testing.T) {
	for in, want := range map[string]bool{"5": true, "5.000": true, "-5.0": true, "0.0": true, "1E+3": true, "5.001": false,
		"1.0000000000000000000001": false, "1E-100": false, "0." + strings.Repeat("0", 60) + "1": false} {
		if got := MustParse(in).IsInteger(); got != want {
			t.Errorf("IsInteger(%s) = %v", in, got)
		}
	}
	if MustParse("1.500").Places() != 3 || MustParse("1E+3").Places() != 0 || MustParse("1.5E-3").Exponent() != -4 {
		t.Error("places")
	}
}

func TestNewAndFloat64(t *testing.T) {
	if New(-125, -2).String() != "-1.25" || NewFromInt(-9223372036854775808).String() != "-9223372036854775808" {
		t.Error("New")
	}
	if f := MustParse("0.1").Float64(); f != 0.1 {
		t.Errorf("Float64 = %v", f)
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
	if err := json.Unmarshal([]byte(`{"a":" -0.00 ","b":-0}`), &v); err != nil || v.A.String() != "-0.00" || v.B.String() != "-0" {
		t.Errorf("got %v %v, %v", v.A, v.B, err)
	}
	for _, bad := range []string{`{"a":null}`, `{"a":"x"}`, `{"a":true}`, `{"a":"1e"}`, `{"a":"1E+101"}`, `{"a":1e-101}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	err := json.Unmarshal([]byte(`{"a":"`+strings.Repeat("1", 40)+`"}`), &v)
	if !errors.Is(err, ErrTooManyDigits) {
		t.Errorf("40 digits: %v", err)
	}
}

func TestText(t *testing.T) {
	// Decimal as a map key and a field of a text-based format.
	m := map[Decimal]int{}
	var d Decimal
	if err := d.UnmarshalText([]byte("2.50")); err != nil || d.String() != "2.50" {
		t.Fatalf("UnmarshalText: %v %v", d, err)
	}
	m[d] = 1
	out, err := json.Marshal(m)
	if err != nil || string(out) != `{"2.50":1}` {
		t.Errorf("map: %s %v", out, err)
	}
	if err := d.UnmarshalText([]byte(" 2")); !errors.Is(err, ErrSyntax) {
		t.Errorf("UnmarshalText(\" 2\") = %v", err)
	}
	if d.String() != "2.50" {
		t.Errorf("a failed UnmarshalText changed the value to %s", d)
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
	if err := d.Scan(0.1); err != nil || d.String() != "0.1" {
		t.Errorf("Scan(0.1) = %v, %v", d, err)
	}
	if err := d.Scan(1e300); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Scan(1e300) = %v", err)
	}
	if err := d.Scan("1" + strings.Repeat("0", 40)); !errors.Is(err, ErrTooManyDigits) {
		t.Errorf("Scan(41 digits) = %v", err)
	}
	d = MustParse("3")
	if err := d.Scan(nil); err == nil || !strings.Contains(err.Error(), "NULL") || d.String() != "3" {
		t.Errorf("Scan(nil) = %v, left %s", err, d)
	}
	if err := d.Scan(true); err == nil {
		t.Error("Scan(bool) succeeded")
	}
	v, _ := MustParse("0.50").Value()
	if v != "0.50" {
		t.Errorf("Value = %v", v)
	}
	v, _ = MustParse("-0").Value()
	if v != "-0" {
		t.Errorf("Value(-0) = %v", v)
	}
}

// BenchmarkExtremes measures the costliest operations on accepted
// numbers: the largest and the smallest, with the most digits.
func BenchmarkExtremes(b *testing.B) {
	largest := MustParse(strings.Repeat("9", MaxDigits) + "E+67")         // 9.99…E+100
	smallest := MustParse("-" + strings.Repeat("9", MaxDigits) + "E-133") // -9.99…E-100
	near := MustParse(strings.Repeat("9", MaxDigits-1) + "8E+67")         // just below largest
	zero := MustParse("0E-133")                                           // the finest zero
	short := MustParse("9E+100")                                          // the largest's magnitude, 33 digits fewer
	b.Run("Cmp", func(b *testing.B) {
		for b.Loop() {
			_ = largest.Cmp(near)
			_ = largest.Cmp(short) // aligns the coefficients
			_ = smallest.Cmp(zero)
		}
	})
	b.Run("Add", func(b *testing.B) {
		for b.Loop() {
			_ = largest.Add(smallest)
		}
	})
	b.Run("AddZero", func(b *testing.B) {
		for b.Loop() {
			_ = largest.Add(zero)
		}
	})
	b.Run("Mul", func(b *testing.B) {
		for b.Loop() {
			_ = largest.Mul(smallest)
		}
	})
	b.Run("DivRound", func(b *testing.B) {
		for b.Loop() {
			_, _ = largest.DivRound(smallest, 2)
		}
	})
	b.Run("StringFixed", func(b *testing.B) {
		for b.Loop() {
			_ = largest.StringFixed(2)
		}
	})
	b.Run("Parse", func(b *testing.B) {
		s := smallest.String()
		for b.Loop() {
			_, _ = Parse(s)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "1.50", "-2E+3", ".5", "1e-9", "abc", "-0", "-0.00", "0E-133", "1E+100", "1E-101",
		strings.Repeat("9", 34), strings.Repeat("9", 35), "0." + strings.Repeat("0", 200) + "1", "1e99999999999"} {
		f.Add(s)
	}
	one := MustParse("1")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooManyDigits) && !errors.Is(err, ErrTooLarge) &&
				!errors.Is(err, ErrTooSmall) && !errors.Is(err, errZeroExponent) {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		// The bounds hold.
		digits := len(strings.TrimLeft(d.a.Coeff.String(), "0"))
		adj := int(d.a.Exponent) + digits - 1
		if digits > MaxDigits || !d.IsZero() && (adj > MaxExponent || adj < MinExponent) {
			t.Fatalf("%q accepted as %s: %d digits, adjusted exponent %d", s, d, digits, adj)
		}
		// The text form parses back to the same number and the same text,
		// through every text route.
		back, err := Parse(d.String())
		if err != nil || back.String() != d.String() || back.Cmp(d) != 0 {
			t.Fatalf("%q -> %q -> %v (%v)", s, d.String(), back, err)
		}
		var viaJSON, viaSQL Decimal
		j, _ := json.Marshal(d)
		v, _ := d.Value()
		if err := json.Unmarshal(j, &viaJSON); err != nil || viaJSON.String() != d.String() {
			t.Fatalf("%q -> JSON %s -> %v (%v)", s, j, viaJSON, err)
		}
		if err := viaSQL.Scan(v); err != nil || viaSQL.String() != d.String() {
			t.Fatalf("%q -> SQL %v -> %v (%v)", s, v, viaSQL, err)
		}
		// Arithmetic on any accepted number neither panics nor loses sight
		// of the exact value.
		if sum := d.Add(Zero); d.a.NumDigits() <= Precision && sum.Cmp(d) != 0 {
			t.Fatalf("%s + 0 = %s", d, sum)
		}
		_ = d.Mul(d)
		_ = d.StringFixed(2)
		if q, err := d.DivRound(New(3, 0), 4); err != nil || q.Exponent() != -4 {
			t.Fatalf("%s / 3 = %s, %v", d, q, err)
		}
		if !d.IsZero() {
			if q, err := one.DivRound(d, 2); err != nil || rat(q).Cmp(ratDivRound(one, d, 2)) != 0 {
				t.Fatalf("1 / %s = %s, %v", d, q, err)
			}
		}
	})
}
