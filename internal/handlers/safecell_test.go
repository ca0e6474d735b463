package handlers

import (
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

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
		"+1.23":                   "'+1.23",
		"\n=HYPERLINK(1)":         "'\n=HYPERLINK(1)",
		"\r\n=1+1":                "'\r\n=1+1",
		"\x00=1":                  "'\x00=1",
		" =1+1":                   "' =1+1",
		"\u00a0\u2003@SUM(1)":     "'\u00a0\u2003@SUM(1)",
		"＝1+1":                    "'＝1+1",
		" plain":                  " plain",
		"é=1":                     "é=1",
		"\u00a0x":                 "\u00a0x",
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

// TestSafeCell_WhatTheFileHolds writes hostile cells through the portal's
// CSV writer and reads the bytes back: no cell of the file, as written
// or as read, starts with a formula sign or a control character.
func TestSafeCell_WhatTheFileHolds(t *testing.T) {
	cells := []string{"\n=HYPERLINK(\"http://evil.example/\")", "\r=1", "\t=1", "=1", "+1", "@1", " \n-1+1", "-1.5", "12"}
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest("GET", "/x.csv", nil), rec)
	w, err := streamCSV(c, "x.csv", []string{"cell"})
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range cells {
		if err := w.row([]string{cell}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.finish(nil); err != nil {
		t.Fatal(err)
	}
	raw := rec.Body.String()
	// As written, byte for byte (encoding/csv would turn CR LF inside a
	// cell back into LF): every cell starts with the guard or a digit.
	for i, first := range cellStarts(raw)[1:] {
		if first != '\'' && (first < '0' || first > '9') && first != '-' {
			t.Errorf("cell %d of the file starts with %q", i+1, first)
		}
	}
	rows, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil || len(rows) != len(cells)+1 {
		t.Fatalf("read back %d rows, %v", len(rows), err)
	}
	for i, row := range rows[1:] {
		got := row[0]
		if isPlainNumber(got) {
			continue
		}
		if got[0] != '\'' {
			t.Errorf("cell %q came back as %q", cells[i], got)
		}
	}
}

// cellStarts returns the first byte of every cell of a CSV file (after
// the opening quote of a quoted cell), reading the raw bytes.
func cellStarts(raw string) []byte {
	var out []byte
	atStart, inQuotes := true, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if atStart {
			atStart = false
			if c == '"' {
				inQuotes = true
				if i+1 < len(raw) {
					out = append(out, raw[i+1])
				}
				continue
			}
			out = append(out, c)
		}
		switch {
		case inQuotes && c == '"' && i+1 < len(raw) && raw[i+1] == '"':
			i++
		case inQuotes && c == '"':
			inQuotes = false
		case !inQuotes && c == ',':
			atStart = true
		case !inQuotes && c == '\r' && i+1 < len(raw) && raw[i+1] == '\n':
			i++
			atStart = i+1 < len(raw)
		}
	}
	return out
}
