package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Every table's "Download CSV" link must give the rows the table shows,
// in the same order. A page object describes its table with a CSVTable:
// which table, which link, and for each column on screen how the page
// prints it from a CSV row. CheckCSV then reads the table the way a
// person sees it (the cells' visible text, through the DOM), downloads
// the link with the browser's own cookies, and compares them row by row.

// CSVRow is one data row of a download, by header.
type CSVRow map[string]string

// Col says how one column on screen shows a CSV row.
type Col struct {
	// Screen is the column's header as shown (units included, sort
	// arrows left out), e.g. "Balance (credits)".
	Screen string
	// Show is what the cell shows for a CSV row.
	Show func(CSVRow) string
	// Prefix: the cell starts with Show's text and goes on with a note
	// (an age, a badge) the CSV does not carry.
	Prefix bool
	// Suffix: the cell ends with Show's text after words of its own.
	Suffix bool
}

// CSVTable describes a table and its CSV twin.
type CSVTable struct {
	// Table and Link are CSS selectors of the table and its download link.
	Table, Link string
	// Count, when set, selects the element that says how many rows the
	// whole table has ("1,234 rows"); the CSV must have as many.
	Count string
	// File is how the download's file name starts, e.g. "budgets_".
	File string
	Cols []Col
}

// Field shows a CSV column as it is.
func Field(name string) func(CSVRow) string { return func(r CSVRow) string { return r[name] } }

// Credits shows an exact amount rounded to the hundredth with thousands
// separators, as pages print credits ("721732.07" as "721,732.07"; an
// empty cell, an amount not known, as "—").
func Credits(name string) func(CSVRow) string {
	return func(r CSVRow) string {
		if r[name] == "" {
			return "—"
		}
		d, err := decimal.Parse(r[name])
		if err != nil {
			return "(not a decimal: " + r[name] + ")"
		}
		return group(d.StringFixed(2))
	}
}

// Grouped shows a plain number with thousands separators ("1702854.5"
// as "1,702,854.5").
func Grouped(name string) func(CSVRow) string {
	return func(r CSVRow) string { return group(r[name]) }
}

func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// UTC shows an RFC 3339 time of the CSV in a layout of the page ("" and
// unreadable times are shown as "—").
func UTC(name, layout string) func(CSVRow) string {
	return func(r CSVRow) string {
		t, err := time.Parse(time.RFC3339, r[name])
		if err != nil {
			return "—"
		}
		return t.UTC().Format(layout)
	}
}

// Page layouts of times.
const (
	Minute = "2006-01-02 15:04 UTC"    // templates.FormatTime
	Second = "2006-01-02 15:04:05 UTC" // templates.FormatSeconds
)

// Percent shows a CSV percentage to one place, as "28.9 %".
func Percent(name string) func(CSVRow) string {
	return func(r CSVRow) string {
		f, err := strconv.ParseFloat(r[name], 64)
		if err != nil {
			return "(not a number: " + r[name] + ")"
		}
		return strconv.FormatFloat(f, 'f', 1, 64) + " %"
	}
}

// Join shows several shown values with a separator.
func Join(sep string, parts ...func(CSVRow) string) func(CSVRow) string {
	return func(r CSVRow) string {
		out := make([]string, len(parts))
		for i, p := range parts {
			out[i] = p(r)
		}
		return strings.Join(out, sep)
	}
}

// Text is fixed text, for Join.
func Text(s string) func(CSVRow) string { return func(CSVRow) string { return s } }

// CheckCSV compares the table on screen with its download and returns
// the differences (none when they agree). A sync can change the data
// between the page and the download, so a page whose data moves is
// compared again after a reload before the differences count: a true
// mismatch persists, a race does not.
func (b *Browser) CheckCSV(spec CSVTable) []string {
	b.t.Helper()
	var problems []string
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			b.Open(b.Path())
		}
		if problems = b.compareCSV(spec); len(problems) == 0 {
			return nil
		}
		if attempt < 2 {
			b.t.Logf("e2e: %s and its CSV differ (%s); comparing again after a reload", spec.Table, problems[0])
		}
	}
	return problems
}

// MustMatchCSV fails the test when the table and its download differ,
// and returns the number of rows compared.
func (b *Browser) MustMatchCSV(spec CSVTable) int {
	b.t.Helper()
	if p := b.CheckCSV(spec); len(p) > 0 {
		b.t.Errorf("%s at %s does not match its CSV %s:\n  %s", spec.Table, b.Path(), spec.Link, strings.Join(p, "\n  "))
		return 0
	}
	return len(b.ReadTable(spec.Table).Rows)
}

func (b *Browser) compareCSV(spec CSVTable) []string {
	b.t.Helper()
	table := b.ReadTable(spec.Table)
	d := b.Fetch(spec.Link)
	var problems []string
	if d.Status != 200 || !strings.HasPrefix(d.ContentType, "text/csv") ||
		!strings.HasPrefix(d.Disposition, `attachment; filename="`+spec.File) {
		return []string{fmt.Sprintf("%s answered %d %q %q, want 200 text/csv attachment %s...", d.URL, d.Status, d.ContentType, d.Disposition, spec.File)}
	}
	recs, err := d.Records()
	if err != nil || len(recs) == 0 {
		return []string{fmt.Sprintf("%s is not CSV: %v", d.URL, err)}
	}
	rows := make([]CSVRow, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := CSVRow{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	if spec.Count != "" {
		count := strings.ReplaceAll(strings.Fields(b.Text(spec.Count))[0], ",", "")
		if n, err := strconv.Atoi(count); err != nil || n != len(rows) {
			problems = append(problems, fmt.Sprintf("the page counts %q rows, the CSV has %d", b.Text(spec.Count), len(rows)))
		}
	}
	if len(table.Rows) > len(rows) {
		problems = append(problems, fmt.Sprintf("%d rows on screen, only %d in the CSV", len(table.Rows), len(rows)))
	}
	cols := make([]int, len(spec.Cols))
	for i, c := range spec.Cols {
		cols[i] = indexOf(table.Header, c.Screen)
		if cols[i] < 0 {
			return append(problems, fmt.Sprintf("no column %q on screen (columns %q)", c.Screen, table.Header))
		}
	}
	for i, cells := range table.Rows {
		if i >= len(rows) || len(problems) > 8 {
			break
		}
		for j, c := range spec.Cols {
			want, got := c.Show(rows[i]), cells[cols[j]]
			if got != want && !(c.Prefix && strings.HasPrefix(got, want)) && !(c.Suffix && strings.HasSuffix(got, want)) {
				problems = append(problems, fmt.Sprintf("row %d, %s: screen %q, CSV gives %q", i+1, c.Screen, got, want))
			}
		}
	}
	return problems
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return -1
}
