package vergeos

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// listQuery is a parsed GET /api/v4/billing request.
type listQuery struct {
	fields []outField
	rest   node   // what the bounds do not cover, evaluated per row
	bounds bounds // created/$key ranges taken from the filter
	sort   []sortKey
	limit  int64 // 0 = unlimited
	offset int64
}

// outField is a column of the answer and the JSON key it is written under.
type outField struct {
	id     fieldID
	prefix []byte // `"name":`
}

// sortKey is one `sort` term.
type sortKey struct {
	id   fieldID
	desc bool
}

// maxSortKeys bounds the `sort` terms of one request.
const maxSortKeys = 4

// badRequest is a malformed query parameter; its text is the 400 "err".
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func parseListQuery(q url.Values) (listQuery, error) {
	var lq listQuery
	var err error
	lq.fields = parseFields(q.Get("fields"))
	f, err := parseFilter(q.Get("filter"))
	if err != nil {
		return lq, err
	}
	lq.bounds = openBounds()
	lq.rest = split(f, &lq.bounds)
	if lq.sort, err = parseSort(q.Get("sort")); err != nil {
		return lq, err
	}
	if lq.limit, err = parseCount("limit", q.Get("limit")); err != nil {
		return lq, err
	}
	if lq.offset, err = parseCount("offset", q.Get("offset")); err != nil {
		return lq, err
	}
	return lq, nil
}

// parseFields reads `fields`: a comma list of column names, each optionally
// "name as alias". "all", "most" and "summary" (and an empty list) mean
// every column. Names that are not billing columns (or field functions
// such as count(...)) are ignored rather than rejected: the docs do not say
// what VergeOS does, and ignoring keeps clients that ask for newer
// columns working.
func parseFields(s string) []outField { return parseFieldsIn(s, &billingSchema) }

// parseFieldsIn reads `fields` against the columns of table sc.
func parseFieldsIn(s string, sc *schema) []outField {
	var out []outField
	seen := map[string]bool{}
	add := func(id fieldID, name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, outField{id: id, prefix: append(appendJSONString(nil, name), ':')})
		}
	}
	for _, part := range strings.Split(s, ",") {
		name, alias := splitAlias(strings.TrimSpace(part))
		switch name {
		case "":
			continue
		case "all", "most", "summary":
			for id, n := range sc.names {
				add(fieldID(id), n)
			}
			continue
		}
		if id, ok := sc.byName[name]; ok {
			add(id, alias)
		}
	}
	if len(out) == 0 && strings.TrimSpace(s) == "" {
		for id, n := range sc.names {
			add(fieldID(id), n)
		}
	}
	return out
}

// splitAlias splits "name as alias"; without " as " the alias is the name.
func splitAlias(s string) (string, string) {
	fs := strings.Fields(s)
	if len(fs) == 3 && strings.EqualFold(fs[1], "as") {
		return fs[0], fs[2]
	}
	return s, s
}

// parseSort reads `sort`: comma-separated columns, each prefixed with "-"
// (descending) or "+" or nothing (ascending). A "+" sent unencoded in a
// query string arrives as a space, which is trimmed the same way.
func parseSort(s string) ([]sortKey, error) { return parseSortIn(s, &billingSchema) }

// parseSortIn reads `sort` against the columns of table sc.
func parseSortIn(s string, sc *schema) ([]sortKey, error) {
	var keys []sortKey
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		desc := strings.HasPrefix(part, "-")
		part = strings.TrimSpace(strings.TrimLeft(part, "+-"))
		if part == "" {
			continue
		}
		id, ok := sc.byName[part]
		if !ok {
			return nil, &badRequest{fmt.Sprintf("Invalid sort: unknown field '%s'", part)}
		}
		keys = append(keys, sortKey{id: id, desc: desc})
	}
	if len(keys) > maxSortKeys {
		return nil, &badRequest{fmt.Sprintf("Invalid sort: at most %d fields", maxSortKeys)}
	}
	return keys, nil
}

// parseCount reads `limit` or `offset`: absent means 0 (for limit: no limit).
func parseCount(name, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, &badRequest{fmt.Sprintf("Invalid %s '%s': expected a whole number, 0 or more", name, s)}
	}
	return n, nil
}
