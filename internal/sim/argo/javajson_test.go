package argo

import (
	"testing"
	"time"
)

func TestJavaDouble(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0.0", 700: "700.0", 66.0336: "66.0336", 12.5: "12.5", 1e7: "1.0E7", 12345678.5: "1.23456785E7",
		0.0001: "1.0E-4", -3: "-3.0", 0.001: "0.001",
	} {
		if got := javaDouble(v); got != want {
			t.Errorf("javaDouble(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestFormatInstant(t *testing.T) {
	base := time.Date(2024, 1, 1, 3, 43, 40, 0, time.FixedZone("x", 3600))
	for ns, want := range map[int]string{
		0: "2024-01-01T02:43:40Z", 500_000_000: "2024-01-01T02:43:40.500Z",
		1_000: "2024-01-01T02:43:40.000001Z", 7: "2024-01-01T02:43:40.000000007Z",
	} {
		if got := formatInstant(base.Add(time.Duration(ns))); got != want {
			t.Errorf("%d ns: %s, want %s", ns, got, want)
		}
	}
}
