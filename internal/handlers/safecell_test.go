package handlers

import "testing"

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"plain":                   "plain",
		"=SUM(A1:A9)":             "'=SUM(A1:A9)",
		"+1+2":                    "'+1+2",
		"-1+2":                    "'-1+2",
		"@cmd":                    "'@cmd",
		"\tindent":                "'\tindent",
		"\rcr":                    "'\rcr",
		"-3000.00":                "-3000.00",
		"-5":                      "-5",
		"-1.5e-3":                 "-1.5e-3",
		"-1.":                     "'-1.",
		"-e5":                     "'-e5",
		"--1":                     "'--1",
		"12.5":                    "12.5",
		"a=b":                     "a=b",
		"-2+3 =cmd|' /C calc'!A0": "'-2+3 =cmd|' /C calc'!A0",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkSafeCell(b *testing.B) {
	cells := []string{"Neural Circuit Simulation", "2026-11-20 12:00 UTC", "12345.67", "-3000.00", "=1+1"}
	for b.Loop() {
		for _, c := range cells {
			SafeCell(c)
		}
	}
}
