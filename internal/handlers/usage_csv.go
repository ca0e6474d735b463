package handlers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/usage"
)

// Reading an uploaded usage file. The file is read as a stream, one row at
// a time (encoding/csv with a reused record), twice: once to check every
// row, and, only when all are clean, once more to store and plan them. So
// however large the file, the portal holds one row at a time, plus the set
// of (Resource, LocalRecordID) it has seen to find duplicates.

// Limits of an upload.
const (
	// maxUploadRows bounds the records of one file.
	maxUploadRows = 250_000
	// uploadMaxProblems is how many problems are kept to show; the rest are counted.
	uploadMaxProblems = 200
	// usageFutureSlack is how far ahead of the portal's clock a time may be.
	usageFutureSlack = time.Hour
)

// usageCheck is what each row is checked against.
type usageCheck struct {
	// Projects maps the LocalProjectIDs the uploader manages to project
	// keys; AnyProject (admins) accepts every LocalProjectID.
	Projects   map[string]string
	AnyProject bool
	// Resources are the resources the portal knows; when empty, any
	// resource is accepted (the upstream checks it).
	Resources map[string]bool
	Now       time.Time
}

// uploadProblem is one reason a file is refused.
type uploadProblem struct {
	Line   int
	Column string
	Reason string
}

// uploadReport is what reading a file found.
type uploadReport struct {
	Rows     int
	Problems []uploadProblem
	// More counts problems beyond those kept in Problems.
	More int
	// Projects are the LocalProjectIDs of the records, sorted.
	Projects []string
	Charge   usage.ChargeSum
}

// Clean reports whether the file can be sent.
func (r *uploadReport) Clean() bool { return len(r.Problems) == 0 }

// Total is the number of problems found.
func (r *uploadReport) Total() int { return len(r.Problems) + r.More }

func (r *uploadReport) add(line int, col, format string, args ...any) {
	if len(r.Problems) >= uploadMaxProblems {
		r.More++
		return
	}
	r.Problems = append(r.Problems, uploadProblem{Line: line, Column: col, Reason: fmt.Sprintf(format, args...)})
}

// usageReader reads one file of one record type.
type usageReader struct {
	s      *usageSchema
	chk    *usageCheck
	rep    *uploadReport
	r      *csv.Reader
	cols   []int // the schema column of each file column
	width  int
	seen   map[string]int // Resource + "\x00" + LocalRecordID → line
	proj   map[string]bool
	fields []string // the row's cells by schema column
	line   []int    // the line of each schema column's cell
}

// readUsageCSV checks every row of a usage file of schema s. When emit is
// set (the second pass), it is called with each row's record in file
// order; the record is reused, so emit must copy what it keeps. Reading
// stops at the first error emit returns.
func readUsageCSV(in io.Reader, s *usageSchema, chk *usageCheck, emit func(*usage.Record) error) (*uploadReport, error) {
	ur := &usageReader{s: s, chk: chk, rep: &uploadReport{}, seen: map[string]int{}, proj: map[string]bool{},
		fields: make([]string, len(s.Columns)), line: make([]int, len(s.Columns))}
	br := bufio.NewReaderSize(in, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	ur.r = csv.NewReader(br)
	ur.r.FieldsPerRecord = -1
	ur.r.ReuseRecord = true
	if !ur.header() {
		return ur.rep, nil
	}
	var rec usage.Record
	for {
		row, err := ur.r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			ur.syntaxError(err)
			break
		}
		if ur.rep.Rows >= maxUploadRows {
			line, _ := ur.r.FieldPos(0)
			ur.rep.add(line, "", "the file has more than %s records; split it into files of at most %s records", usageInt(maxUploadRows), usageInt(maxUploadRows))
			break
		}
		rec = usage.Record{Seq: ur.rep.Rows}
		ur.rep.Rows++
		if ur.row(row, &rec) && emit != nil && ur.rep.Clean() {
			if err := emit(&rec); err != nil {
				return ur.rep, err
			}
		}
	}
	if ur.rep.Rows == 0 && ur.rep.Clean() {
		ur.rep.add(2, "", "the file has a header but no records")
	}
	for p := range ur.proj {
		ur.rep.Projects = append(ur.rep.Projects, p)
	}
	sort.Strings(ur.rep.Projects)
	return ur.rep, nil
}

func usageInt(n int) string { return strconv.FormatInt(int64(n), 10) }

// syntaxError reports a file encoding/csv cannot read; the rest of the
// file is not checked, since its rows can no longer be told apart.
func (ur *usageReader) syntaxError(err error) {
	var pe *csv.ParseError
	line := 1
	if errors.As(err, &pe) {
		line = pe.Line
		err = pe.Err
	}
	ur.rep.add(line, "", "this is not valid CSV (%v); the rest of the file was not checked", err)
}

// header reads the first line and maps its columns; it reports whether
// the rows can be checked.
// otherDelimiter names the delimiter of a header read as one column that
// splits into the schema's column names at a semicolon or a tab ("" when
// it does not).
func otherDelimiter(row []string, s *usageSchema) string {
	if len(row) != 1 {
		return ""
	}
	for _, d := range []struct{ sep, name string }{{";", "semicolons (;)"}, {"\t", "tabs"}} {
		parts := strings.Split(row[0], d.sep)
		known := 0
		for _, p := range parts {
			if s.column(strings.Trim(strings.TrimSpace(p), `"`)) >= 0 {
				known++
			}
		}
		if len(parts) > 1 && known >= 2 {
			return d.name
		}
	}
	return ""
}

func (ur *usageReader) header() bool {
	row, err := ur.r.Read()
	if errors.Is(err, io.EOF) {
		ur.rep.add(1, "", "the file is empty; its first line must name the columns (download the template of %s records)", ur.s.Key)
		return false
	}
	if err != nil {
		ur.syntaxError(err)
		return false
	}
	if !usageIsText(row) {
		ur.rep.add(1, "", "this is not a CSV text file (the first line has bytes that are not UTF-8 text); save the sheet as CSV UTF-8")
		return false
	}
	if d := otherDelimiter(row, ur.s); d != "" {
		// Refused rather than read with that delimiter: such files come from
		// spreadsheets set to a locale that also writes decimal commas
		// ("12,5"), so reading them would misread every charge.
		ur.rep.add(1, "", "this file uses %s between its columns; save it with commas (in a spreadsheet: CSV UTF-8, comma-separated) and upload it again", d)
		return false
	}
	ur.width = len(row)
	ur.cols = make([]int, len(row))
	have := make([]bool, len(ur.s.Columns))
	for i, name := range row {
		name = strings.TrimSpace(name)
		c := ur.s.column(name)
		ur.cols[i] = c
		switch {
		case name == "":
			ur.rep.add(1, fmt.Sprintf("column %d", i+1), "the column has no name")
		case c < 0:
			why := fmt.Sprintf("%q is not a column of %s records", name, ur.s.key())
			if other := ur.s.otherTypes(name); len(other) > 0 {
				why += fmt.Sprintf(" (it is one of %s records: is this the right record type?)", strings.Join(other, " and "))
			}
			ur.rep.add(1, name, "%s", why)
		case have[c]:
			ur.rep.add(1, name, "the column appears twice")
		default:
			have[c] = true
		}
	}
	for i, c := range ur.s.Columns {
		if c.Required && !have[i] {
			ur.rep.add(1, c.Name, "this required column is missing")
		}
	}
	return ur.rep.Clean()
}

func (s *usageSchema) key() string { return s.Key }

// usageIsText reports whether every cell is UTF-8 text without NUL bytes.
func usageIsText(row []string) bool {
	for _, c := range row {
		if !utf8.ValidString(c) || strings.IndexByte(c, 0) >= 0 {
			return false
		}
	}
	return true
}

// row checks one data row and fills rec; it reports whether the row is clean.
func (ur *usageReader) row(row []string, rec *usage.Record) bool {
	first, _ := ur.r.FieldPos(0)
	rec.Line = first
	before := ur.rep.Total()
	if len(row) != ur.width {
		ur.rep.add(first, "", "the row has %d cells; the header has %d", len(row), ur.width)
		return false
	}
	if !usageIsText(row) {
		ur.rep.add(first, "", "the row has bytes that are not UTF-8 text")
		return false
	}
	clear(ur.fields)
	for i, cell := range row {
		if c := ur.cols[i]; c >= 0 {
			ur.fields[c] = strings.TrimSpace(cell)
			ur.line[c], _ = ur.r.FieldPos(i)
		}
	}
	for c := range ur.s.Columns {
		ur.cell(c, rec)
	}
	ur.crossChecks(rec)
	return ur.rep.Total() == before
}
