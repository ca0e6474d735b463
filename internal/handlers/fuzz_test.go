package handlers

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The query string is the outside input every list page parses. These
// fuzz targets check that no query makes the parsers panic or hand a
// handler values outside the bounds its SQL relies on.

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "page=2&size=10&sort=-name", "page=0", "size=501", "sort=drop table", "page=99999999999999999999",
		"page=922337203685477580&size=500", "sort=-", "sort=--name", "page=1&page=2", "size=-1", "page=%zz"} {
		f.Add(s)
	}
	sorts := []string{"name", "created", "amount"}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := parseList(q, sorts, "created", true)
		if err != nil {
			if !strings.Contains(err.Error(), ":") {
				t.Fatalf("error %q does not name the parameter", err)
			}
			return
		}
		if p.Page < 1 || p.Size < 1 || p.Size > MaxPageSize {
			t.Fatalf("%q gave page %d size %d", raw, p.Page, p.Size)
		}
		if p.Offset() < 0 {
			t.Fatalf("%q gave a negative offset %d (overflow)", raw, p.Offset())
		}
		if !slices.Contains(sorts, p.Sort) {
			t.Fatalf("%q gave sort %q, not a whitelisted column", raw, p.Sort)
		}
	})
}

func FuzzParseTimeRange(f *testing.F) {
	for _, s := range []string{"", "range=7d", "range=1y", "range=forever", "from=2026-01-01&to=2026-01-31", "from=2026-02-01&to=2026-01-01",
		"from=2026-01-01", "to=2026-13-01", "from=0000-01-01&to=9999-12-31", "from=2026-01-01T00:00:00Z&to=2026-01-02", "range=7d&from=2026-01-01&to=2026-01-01"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		tr, err := parseTimeRange(q, now, "30d")
		if err != nil {
			return
		}
		if !tr.From.Before(tr.To) {
			t.Fatalf("%q gave an empty or reversed range %v..%v", raw, tr.From, tr.To)
		}
		if tr.From.Location() != time.UTC || tr.To.Location() != time.UTC {
			t.Fatalf("%q gave a range outside UTC", raw)
		}
		if tr.To.After(now.Truncate(24*time.Hour).AddDate(0, 0, 1)) || tr.From.Before(tr.To.AddDate(-MaxRangeYears, 0, 0)) {
			t.Fatalf("%q gave %v..%v: past today or longer than %d years", raw, tr.From, tr.To, MaxRangeYears)
		}
		if tr.Preset != "custom" && !slices.ContainsFunc(timePresets, func(p struct {
			Key, Label string
			Span       time.Duration
		}) bool {
			return p.Key == tr.Preset
		}) {
			t.Fatalf("%q gave preset %q", raw, tr.Preset)
		}
		// The view of a parsed range parses back to the same range.
		if tr.Preset == "custom" {
			from, to := tr.From.Format("2006-01-02"), tr.To.Add(-time.Nanosecond).Format("2006-01-02")
			again, err := parseTimeRange(url.Values{"from": {from}, "to": {to}}, now, "30d")
			if err != nil || !again.From.Equal(tr.From) || !again.To.Equal(tr.To) {
				t.Fatalf("%q: %s..%s parsed back as %v..%v (%v)", raw, from, to, again.From, again.To, err)
			}
		}
	})
}

// plainNumberRE is the oracle the hand-written isPlainNumber must agree with.
var plainNumberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+1", "-1", "-3000.00", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\")", "1e5", "-1e-5", "'=1", "plain", "-", "--1", "\n=1", " =1", "\x00=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if isPlainNumber(s) != plainNumberRE.MatchString(s) {
			t.Fatalf("isPlainNumber(%q) = %v, the regular expression says %v", s, isPlainNumber(s), !isPlainNumber(s))
		}
		out := SafeCell(s)
		if out != s && out != "'"+s {
			t.Fatalf("SafeCell(%q) = %q: only a leading apostrophe may be added", s, out)
		}
		if out == "" {
			return
		}
		if (strings.ContainsRune("=+-@", rune(out[0])) || out[0] < 0x20) && !plainNumberRE.MatchString(out) {
			t.Fatalf("SafeCell(%q) = %q still starts a formula", s, out)
		}
		// What the file holds: the cell written as the downloads write it
		// (CR LF line ends) starts with the guard or is a plain number.
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.UseCRLF = true
		w.Write([]string{out})
		w.Flush()
		file := strings.TrimPrefix(buf.String(), `"`)
		if !strings.HasPrefix(file, "'") && !plainNumberRE.MatchString(out) && file != "\r\n" &&
			(strings.ContainsRune("=+-@", rune(file[0])) || file[0] < 0x20) {
			t.Fatalf("SafeCell(%q) is written as %q", s, buf.String())
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("SafeCell(%q) broke UTF-8", s)
		}
	})
}
