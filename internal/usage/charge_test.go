package usage

import "testing"

func TestChargeSum_Exact(t *testing.T) {
	var s ChargeSum
	for _, v := range []string{"0.1", "0.2", "-0.3", "92233720368547758.07", "0.01", "0.0000000001", "1.5E+2"} {
		if err := s.Add(v); err != nil {
			t.Fatal(v, err)
		}
	}
	if got := s.String(); got != "92233720368547908.0800000001" {
		t.Fatalf("sum %s", got)
	}
	if err := s.Add("abc"); err == nil {
		t.Error("abc was added")
	}
}

// TestChargeMicros: millionths only where they are exact and fit.
func TestChargeMicros(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12.5", 12500000, true}, {"-0.000001", -1, true}, {"+3", 3000000, true}, {"0", 0, true},
		{"0.0000001", 0, false},           // seven decimals
		{"1E+2", 0, false},                // not a plain literal
		{"9223372036854775807", 0, false}, // overflows once scaled
		{"9223372036854.7758", 9223372036854775800, true},
		{"", 0, false}, {"-", 0, false}, {"1.2.3", 0, false},
	} {
		got, ok := ChargeMicros(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("%q: %d %v, want %d %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for m, want := range map[int64]string{12500000: "12.5", 3000000: "3", -1: "-0.000001", 0: "0"} {
		if got := MicrosText(m); got != want {
			t.Errorf("MicrosText(%d) = %q, want %q", m, got, want)
		}
	}
	for in, want := range map[string]string{"12.500": "12.5", "3.000": "3", "100": "100", "1.50E+2": "1.50E+2"} {
		if got := TrimZeros(in); got != want {
			t.Errorf("TrimZeros(%q) = %q, want %q", in, got, want)
		}
	}
}
