package handlers

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"
)

// CSV downloads use the same URL and query as the page with ".csv" added
// to the path (or format=csv). They are streamed row by row from SQLite, so
// memory stays flat however many rows there are.

// wantsCSV reports whether the request asks for the CSV twin of a page.
// An API request always gets the twin: streamCSV writes it as JSON.
func wantsCSV(c echo.Context) bool {
	return isAPI(c) || strings.HasSuffix(c.Request().URL.Path, ".csv") || c.QueryParam("format") == "csv"
}

// isCSVDownload reports whether the request asks for a CSV file (not the
// API's JSON twin), which is compressed at the fastest level.
func isCSVDownload(c echo.Context) bool {
	return strings.HasSuffix(c.Request().URL.Path, ".csv") || c.QueryParam("format") == "csv"
}

// csvHref returns the CSV twin's URL of the current page.
func csvHref(c echo.Context) string {
	u := *c.Request().URL
	u.Path = strings.TrimSuffix(u.Path, "/") + ".csv"
	q := u.Query()
	q.Del("page")
	q.Del("format")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// SafeCell neutralises a cell a spreadsheet would run as a formula by
// putting an apostrophe before it. That is any cell whose first
// character is =, +, -, @ (or their full-width forms), a tab, a carriage
// return, a line feed or another control character, and any cell that
// starts with white space or control characters followed by one of those
// signs. A line feed counts because the CSV writer ends lines, and so
// also line feeds inside a cell, with CR LF: a cell "\n=…" reaches the
// file as CR LF "=…". Plain numbers (-?digits[.digits][e±digits], such as
// -3000.00) stay numbers; the portal writes its own numbers that way,
// never with a leading "+".
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch c := s[0]; {
	case c == '-':
		if isPlainNumber(s) {
			return s
		}
		return "'" + s
	case c == '=' || c == '+' || c == '@' || c < 0x20 || c == 0x7f:
		return "'" + s
	case c == ' ' || c >= 0x80:
		if formulaAfterSpace(s) {
			return "'" + s
		}
	}
	return s
}

// formulaAfterSpace reports whether s, after any leading white space and
// control characters, starts with a formula sign (a spreadsheet may trim
// the space). Only cells that start with a space or a non-ASCII rune get
// here, so ordinary cells cost one byte comparison.
func formulaAfterSpace(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			continue
		case r == '=' || r == '+' || r == '-' || r == '@' || r == '＝' || r == '＋' || r == '－' || r == '＠':
			return true
		}
		return false
	}
	return false
}

// isPlainNumber reports whether s is -?digits[.digits][e[+-]digits]. It
// runs only on cells that start like a formula, so most cells cost one
// byte comparison.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// csvWriter writes one CSV download.
type csvWriter struct {
	w    *csv.Writer
	rows int
	cols int
	safe []string // the neutralised cells of the row being written, reused
	// js writes the rows as JSON instead, for the API (api_json.go).
	js *jsonTable
}

// streamCSV starts a CSV download named filename with the header row and
// returns a writer for the rows. The caller must call finish.
func streamCSV(c echo.Context, filename string, header []string) (*csvWriter, error) {
	if isAPI(c) {
		js, err := streamJSON(c, header)
		return &csvWriter{js: js, cols: len(header)}, err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+sanitizeFilename(filename)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.UseCRLF = true // RFC 4180
	cw := &csvWriter{w: w, cols: len(header)}
	return cw, cw.row(header)
}

// row writes one row; cells are neutralised against formula injection.
func (cw *csvWriter) row(cells []string) error {
	if cw.js != nil {
		return cw.js.row(cells)
	}
	cw.safe = cw.safe[:0]
	for _, s := range cells {
		cw.safe = append(cw.safe, SafeCell(s))
	}
	if err := cw.w.Write(cw.safe); err != nil {
		return err
	}
	cw.rows++
	if cw.rows%500 == 0 {
		cw.w.Flush()
		return cw.w.Error()
	}
	return nil
}

// finish flushes the download. An error after the header was sent cannot
// change the status any more, so the connection is aborted: a visibly
// failed download beats a silently truncated file.
func (cw *csvWriter) finish(err error) error {
	if cw.js != nil {
		return cw.js.finish(err)
	}
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	cw.w.Flush()
	return cw.w.Error()
}

// csvTime writes a time as RFC 3339 UTC ("" for none), the form
// spreadsheets read as a date.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvUnix writes Unix seconds as csvTime does (0 is none).
func csvUnix(s int64) string {
	if s == 0 {
		return ""
	}
	return csvTime(time.Unix(s, 0))
}

var unsafeFilename = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func sanitizeFilename(s string) string {
	s = unsafeFilename.ReplaceAllString(s, "_")
	if !strings.HasSuffix(s, ".csv") {
		s += ".csv"
	}
	return s
}
