package handlers

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
)

// A table's JSON twin is its CSV twin written as JSON: the same handler
// parses the same filters, asks the same cache query with the user's
// scope, and writes the same cells, which streamCSV sends here when the
// request is an API one. So the page, its CSV and its JSON cannot
// disagree about what a person may see.
//
//	{"data": [{"project_key": "neuro-sim", "balance_credits": "1250.00", …}, …],
//	 "next": "/api/v1/budgets?cursor=…&limit=…"}
//
// Each row is an object whose fields are the CSV's columns (units, which
// the CSV writes in its header, become part of the name: "cost (credits)"
// is cost_credits). Every value is a string as the CSV writes it (exact
// decimals, RFC 3339 UTC times, plain numbers) or null where the CSV
// leaves the cell empty. Rows come in pages of `limit` (default
// DefaultAPILimit; "all" streams every row); `next` is the address of the
// next page, with an opaque cursor, or null after the last.

// Page sizes of the API's tables.
const (
	DefaultAPILimit = 1000
	MaxAPILimit     = 100_000
)

// errEnoughRows stops a table's rows once a page is full; finish takes it
// as the normal end.
var errEnoughRows = errors.New("handlers: the page is full")

// jsonTable writes one table as JSON.
type jsonTable struct {
	c      echo.Context
	w      *bufio.Writer
	fields []string
	// skip rows before the cursor, then write up to limit (0: all).
	skip, limit int
	seen, rows  int
	more        bool
	offset      int
	buf         []byte
}

// apiCursor is what a cursor holds: where the next page starts, and which
// query it belongs to (a cursor of another query is refused).
type apiCursor struct {
	Offset int    `json:"o"`
	Query  string `json:"q"`
}

// queryKey identifies a table's query: its path and filters, without the
// paging parameters.
func queryKey(u *url.URL) string {
	q := u.Query()
	q.Del("cursor")
	q.Del("limit")
	sum := sha256.Sum256([]byte(u.Path + "?" + q.Encode()))
	return hex.EncodeToString(sum[:8])
}

// parseAPIPaging reads limit and cursor.
func parseAPIPaging(u *url.URL) (offset, limit int, err error) {
	q := u.Query()
	limit = DefaultAPILimit
	var problems []string
	switch v := q.Get("limit"); {
	case v == "":
	case v == "all":
		limit = 0
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAPILimit {
			problems = append(problems, "limit: "+strconv.Quote(v)+" must be a number from 1 to "+strconv.Itoa(MaxAPILimit)+", or all")
		} else {
			limit = n
		}
	}
	if v := q.Get("cursor"); v != "" {
		var cur apiCursor
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || json.Unmarshal(b, &cur) != nil || cur.Offset < 1 {
			problems = append(problems, "cursor: not a cursor this portal gave")
		} else if cur.Query != queryKey(u) {
			problems = append(problems, "cursor: it belongs to another query; keep the filters and sort of the page it came from")
		} else {
			offset = cur.Offset
		}
	}
	if len(problems) > 0 {
		return 0, 0, portal.Errorf(portal.EINVALID, "%s", strings.Join(problems, "; "))
	}
	return offset, limit, nil
}

// streamJSON starts a table's JSON answer. Nothing is written before the
// paging parameters are checked, so a bad one is a clean 400.
func streamJSON(c echo.Context, header []string) (*jsonTable, error) {
	offset, limit, err := parseAPIPaging(c.Request().URL)
	if err != nil {
		return nil, err
	}
	t := &jsonTable{c: c, skip: offset, limit: limit, offset: offset}
	for _, h := range header {
		t.fields = append(t.fields, JSONField(h))
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(http.StatusOK)
	t.w = bufio.NewWriterSize(c.Response(), 32<<10)
	_, err = t.w.WriteString(`{"data":[`)
	return t, err
}

// row writes one row, or skips it (before the cursor), or ends the page
// (errEnoughRows) once it is full.
func (t *jsonTable) row(cells []string) error {
	if t.more {
		return errEnoughRows
	}
	t.seen++
	if t.seen <= t.skip {
		return nil
	}
	if t.limit > 0 && t.rows == t.limit {
		t.more = true
		return errEnoughRows
	}
	b := t.buf[:0]
	if t.rows > 0 {
		b = append(b, ',')
	}
	b = append(b, '{')
	for i, f := range t.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, f), ':')
		if i >= len(cells) || cells[i] == "" {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, cells[i])
		}
	}
	b = append(b, '}')
	t.buf = b
	t.rows++
	if _, err := t.w.Write(b); err != nil {
		return err
	}
	if t.rows%500 == 0 {
		if err := t.w.Flush(); err != nil {
			return err
		}
		t.c.Response().Flush()
	}
	return nil
}

// finish ends the answer with the next page's address. An error after
// the status was sent aborts the connection, as a CSV's does: a client
// sees a failed answer, never a short list that looks whole.
func (t *jsonTable) finish(err error) error {
	if err != nil && !errors.Is(err, errEnoughRows) {
		panic(http.ErrAbortHandler)
	}
	next := "null"
	if t.more {
		u := *t.c.Request().URL
		q := u.Query()
		cur, _ := json.Marshal(apiCursor{Offset: t.offset + t.rows, Query: queryKey(&u)})
		q.Set("cursor", base64.RawURLEncoding.EncodeToString(cur))
		u.RawQuery = q.Encode()
		next = string(appendJSONString(nil, u.RequestURI()))
	}
	if _, err := t.w.WriteString(`],"next":` + next + "}\n"); err != nil {
		return err
	}
	return t.w.Flush()
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	js, _ := json.Marshal(s)
	return append(b, js...)
}

// JSONField names a CSV column as a JSON field: lower case, words joined
// by underscores, a unit in brackets kept as the name's end
// ("balance (credits)" → balance_credits, "burn (credits/day)" →
// burn_credits_per_day, "used (%)" → used_percent).
func JSONField(header string) string {
	s := strings.ToLower(header)
	s = strings.NewReplacer("/", " per ", "%", " percent ", "#", " count ", "(", " ", ")", " ").Replace(s)
	var b strings.Builder
	under := false
	for _, r := range s {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		} else {
			under = true
		}
	}
	return b.String()
}
