package vergeos

import (
	"bufio"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The tenant tables share the billing table's query language (fields,
// filter, sort, limit, offset; see query.go and filter.go), each through
// its own schema.

// tableQuery is a parsed GET on a tenant table.
type tableQuery struct {
	fields        []outField
	filter        node
	sort          []sortKey
	limit, offset int64 // limit 0: no limit
}

func parseTableQuery(q url.Values, sc *schema) (tableQuery, error) {
	var tq tableQuery
	var err error
	tq.fields = parseFieldsIn(q.Get("fields"), sc)
	if tq.filter, err = parseFilterIn(q.Get("filter"), sc); err != nil {
		return tq, err
	}
	if tq.sort, err = parseSortIn(q.Get("sort"), sc); err != nil {
		return tq, err
	}
	if tq.limit, err = parseCount("limit", q.Get("limit")); err != nil {
		return tq, err
	}
	if tq.offset, err = parseCount("offset", q.Get("offset")); err != nil {
		return tq, err
	}
	return tq, nil
}

// span is an inclusive range of an integer column.
type span struct{ lo, hi int64 }

func fullSpan() span { return span{math.MinInt64, math.MaxInt64} }

// narrow moves the top-level "and" terms of n that compare a column of
// spans with a number into that column's span, and returns the rest (nil:
// nothing left to evaluate per row). It is split() for any columns.
func narrow(n node, spans map[fieldID]*span) node {
	switch t := n.(type) {
	case *boolNode:
		if !t.and {
			return n
		}
		l, r := narrow(t.left, spans), narrow(t.right, spans)
		switch {
		case l == nil:
			return r
		case r == nil:
			return l
		}
		return &boolNode{and: true, left: l, right: r}
	case *cmpNode:
		if sp := spans[t.field]; sp != nil && tightenSpan(t, &sp.lo, &sp.hi) {
			return nil
		}
	}
	return n
}

// appendRow appends r as a JSON object with the chosen columns.
func appendRow(b []byte, r row, fields []outField, sc *schema) []byte {
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.prefix...)
		switch sc.kinds[f.id] {
		case kindText:
			b = appendJSONString(b, r.str(f.id))
		case kindBool:
			b = strconv.AppendBool(b, r.num(f.id) != 0)
		default:
			b = strconv.AppendInt(b, r.num(f.id), 10)
		}
	}
	return append(b, '}')
}

// rowLess orders two rows by the sort keys.
func rowLess(keys []sortKey, sc *schema, a, b row) bool {
	for _, k := range keys {
		var c int
		if sc.kinds[k.id] == kindText {
			c = strings.Compare(a.str(k.id), b.str(k.id))
		} else {
			c = cmpInt(a.num(k.id), b.num(k.id))
		}
		if c != 0 {
			return (c < 0) != k.desc
		}
	}
	return false
}

// writeRows answers a listing of a small table held whole: filter, sort
// (stable, so unsorted rows stay in $key order), offset and limit.
func writeRows(w http.ResponseWriter, q tableQuery, sc *schema, all []row) {
	var rows []row
	for _, r := range all {
		if q.filter == nil || q.filter.match(r) {
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rowLess(q.sort, sc, rows[i], rows[j]) })
	rows = rows[min(q.offset, int64(len(rows))):]
	if q.limit > 0 && int64(len(rows)) > q.limit {
		rows = rows[:q.limit]
	}
	b := []byte{'['}
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRow(b, r, q.fields, sc)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, ']'))
}

// listHistory writes the rows of a history table that q selects. The
// filter's "tenant eq" and timestamp ranges (what the SDK sends) choose
// the tenants and the sample indices to look at, so a tenant's window
// costs its own rows only. Sorted by timestamp or $key (or not at all:
// $key order), rows are walked in order without being held; any other
// sort collects the matching rows' positions first, as the billing
// listing does.
func listHistory(w http.ResponseWriter, h history, q tableQuery, now int64) {
	tenantSpan, tsSpan := fullSpan(), fullSpan()
	rest := narrow(q.filter, map[fieldID]*span{hTenant: &tenantSpan, hTimestamp: &tsSpan})
	var ts []int // tenant indices in key order
	for i, t := range h.tg.tenants {
		if t.key >= tenantSpan.lo && t.key <= tenantSpan.hi {
			ts = append(ts, i)
		}
	}
	vlo, vhi := h.visible(now)
	lo, hi := h.indexRange(tsSpan.lo, tsSpan.hi)
	lo, hi = max(lo, vlo), min(hi, vhi)

	bw := bufio.NewWriterSize(w, 32<<10)
	defer bw.Flush()
	w.Header().Set("Content-Type", "application/json")
	bw.WriteByte('[')
	n := 0
	emit := func(r *histRow) {
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.Write(appendRow(nil, r, q.fields, &historySchema))
	}
	if lo > hi || len(ts) == 0 {
		bw.WriteByte(']')
		return
	}
	walk := len(q.sort) == 0 || (len(q.sort) == 1 && (q.sort[0].id == hTimestamp || q.sort[0].id == hKey))
	if !walk {
		var rows []histRow
		for i := lo; i <= hi; i++ {
			for _, t := range ts {
				r := h.row(i, t)
				if rest == nil || rest.match(&r) {
					rows = append(rows, r)
				}
			}
		}
		sort.SliceStable(rows, func(i, j int) bool { return rowLess(q.sort, &historySchema, &rows[i], &rows[j]) })
		rows = rows[min(q.offset, int64(len(rows))):]
		if q.limit > 0 && int64(len(rows)) > q.limit {
			rows = rows[:q.limit]
		}
		for i := range rows {
			emit(&rows[i])
		}
		bw.WriteByte(']')
		return
	}
	desc := len(q.sort) == 1 && q.sort[0].desc
	skip, limit := q.offset, q.limit
	if limit == 0 {
		limit = math.MaxInt64
	}
	if rest == nil {
		// Every row in range matches: jump over the offset.
		perIndex := int64(len(ts))
		total := (hi - lo + 1) * perIndex
		if skip >= total {
			bw.WriteByte(']')
			return
		}
		if desc {
			hi -= skip / perIndex
		} else {
			lo += skip / perIndex
		}
		skip %= perIndex
	}
	for k := int64(0); k <= hi-lo && limit > 0; k++ {
		i := lo + k
		if desc {
			i = hi - k
		}
		for j := range ts {
			t := ts[j]
			if desc {
				t = ts[len(ts)-1-j]
			}
			r := h.row(i, t)
			if rest != nil && !rest.match(&r) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			emit(&r)
			if limit--; limit == 0 {
				break
			}
		}
	}
	bw.WriteByte(']')
}

// handleTenants serves GET /api/v4/tenants.
func (s *Server) handleTenants(w http.ResponseWriter, r *http.Request) {
	q, err := parseTableQuery(r.URL.Query(), &tenantSchema)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	rows := make([]row, len(s.tenants.tenants))
	for i := range s.tenants.tenants {
		rows[i] = tenantRow{&s.tenants.tenants[i]}
	}
	writeRows(w, q, &tenantSchema, rows)
}

// handleTenant serves GET /api/v4/tenants/{key}.
func (s *Server) handleTenant(w http.ResponseWriter, r *http.Request) {
	key, _ := strconv.ParseInt(r.PathValue("key"), 10, 64)
	i := s.tenants.byKey(key)
	if i < 0 {
		writeErr(w, http.StatusNotFound, "not found")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(appendRow(nil, tenantRow{&s.tenants.tenants[i]}, parseFieldsIn(r.URL.Query().Get("fields"), &tenantSchema), &tenantSchema))
}

// statsRows returns tenant_stats now: one row per tenant with the RAM in
// use at the newest short sample, and that sample's time as last_update.
func (s *Server) statsRows() []row {
	now := s.now().Unix()
	last := now / shortStep * shortStep
	rows := make([]row, len(s.tenants.tenants))
	for i, t := range s.tenants.tenants {
		smp := s.tenants.sample(i, last)
		rows[i] = &statsRow{v: [4]int64{t.key, t.key, smp.v[hRAMUsed], last}}
	}
	return rows
}

// handleTenantStats serves GET /api/v4/tenant_stats.
func (s *Server) handleTenantStats(w http.ResponseWriter, r *http.Request) {
	q, err := parseTableQuery(r.URL.Query(), &tenantStatsSchema)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	writeRows(w, q, &tenantStatsSchema, s.statsRows())
}

// handleHistory serves GET /api/v4/tenant_stats_history_short and _long.
func (s *Server) handleHistory(long bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := parseTableQuery(r.URL.Query(), &historySchema)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err.Error())
			return
		}
		listHistory(w, history{tg: s.tenants, long: long}, q, s.now().Unix())
	}
}
