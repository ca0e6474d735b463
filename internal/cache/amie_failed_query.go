package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// failedSortColumns are the columns of usage.FailedSorts.
var failedSortColumns = map[string]string{
	"id": "f.failed_id", "type": "f.usage_type", "resource": "f.resource", "project": "f.local_project_id",
	"record": "f.local_record_id", "user": "f.username", "start": "f.start_time", "end": "f.end_time",
	"charge": "CAST(f.charge AS REAL)",
}

// failedWhere is the condition of the failed records f selects.
func failedWhere(f usage.FailedFilter) (string, []any) {
	w, args := ScopeFilter(f.Scope, portal.UpstreamAMIE, "f.local_project_id")
	for _, c := range []struct{ col, v string }{
		{"f.resource", f.Resource}, {"f.error", f.Error}, {"f.local_project_id", f.Project}, {"f.usage_type", f.Type},
	} {
		if c.v != "" {
			w += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	return w, args
}

func failedOrder(f usage.FailedFilter) string {
	col, ok := failedSortColumns[f.Sort]
	if !ok {
		col = "f.failed_id"
	}
	return "f.error ASC, " + col + dir(f.Desc) + ", f.failed_id ASC, f.id ASC"
}

const amieFailedCols = `f.failed_id, f.usage_type, f.error, f.resource, f.local_project_id, f.local_record_id, f.username,
	f.start_time, f.end_time, f.charge, f.local_reference, f.problems, f.raw, COALESCE(p.key, ''), COALESCE(p.name, '')`

const amieFailedTables = `amie_failed f
	LEFT JOIN project_ids pi ON pi.upstream = 'amie' AND pi.upstream_id = f.local_project_id
	LEFT JOIN projects p ON p.key = pi.project_key`

func scanAMIEFailed(rows rowScanner) (usage.FailedRecord, error) {
	var r usage.FailedRecord
	var start, end int64
	err := rows.Scan(&r.FailedID, &r.UsageType, &r.Error, &r.Resource, &r.LocalProjectID, &r.LocalRecordID, &r.Username,
		&start, &end, &r.Charge, &r.LocalReference, &r.Problems, &r.Raw, &r.ProjectKey, &r.ProjectName)
	r.Start, r.End = unix(start), unix(end)
	return r, err
}

// ListFailed returns one page of failed records, grouped by error, and how
// many match. A page changes only when the failed records or the
// catalogue do, and is read again only then (memo.go).
func (db *DB) ListFailed(ctx context.Context, f usage.FailedFilter) ([]usage.FailedRecord, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	type page struct {
		rows  []usage.FailedRecord
		total int64
	}
	key := strings.Join([]string{"failed page", scopeKey(f.Scope), f.Resource, f.Error, f.Project, f.Type, f.Sort, strconv.FormatBool(f.Desc),
		strconv.Itoa(f.Limit), strconv.Itoa(f.Offset)}, "\x00")
	p, err := remembered(db, key, db.gen(genAMIEFailed, genCatalog), func() (page, error) {
		out, total, err := list(ctx, db, failedQuery(f), scanAMIEFailed)
		return page{out, total}, err
	}, func(p page) page { return page{slices.Clone(p.rows), p.total} })
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list failed records: %w", err)
	}
	return p.rows, p.total, nil
}

// EachFailed calls fn for every matching failed record in the table's
// order, one row at a time (for CSV downloads).
func (db *DB) EachFailed(ctx context.Context, f usage.FailedFilter, fn func(usage.FailedRecord) error) error {
	f.Limit, f.Offset = 0, 0
	if err := each(ctx, db, failedQuery(f), scanAMIEFailed, fn); err != nil {
		return fmt.Errorf("cache: failed records: %w", err)
	}
	return nil
}

// FailedGroups counts the matching failed records per error, by error.
// It changes only when the failed records or the catalogue do, and is
// read again only then (memo.go).
func (db *DB) FailedGroups(ctx context.Context, f usage.FailedFilter) ([]usage.FailedGroup, error) {
	key := strings.Join([]string{"failed groups", scopeKey(f.Scope), f.Resource, f.Error, f.Project, f.Type}, "\x00")
	return remembered(db, key, db.gen(genAMIEFailed, genCatalog), func() ([]usage.FailedGroup, error) { return db.failedGroups(ctx, f) }, slices.Clone)
}

func (db *DB) failedGroups(ctx context.Context, f usage.FailedFilter) ([]usage.FailedGroup, error) {
	w, args := failedWhere(f)
	var out []usage.FailedGroup
	var sum usage.ChargeSum
	flush := func() {
		if n := len(out); n > 0 {
			out[n-1].Charge = sum.String()
		}
		sum = usage.ChargeSum{}
	}
	type row struct{ err, charge string }
	err := db.read(ctx, func(tx *sql.Tx) error {
		return eachRow(ctx, db, tx, `SELECT f.error, f.charge FROM amie_failed f WHERE `+w+` ORDER BY f.error`, args, func(rs rowScanner) (row, error) {
			var r row
			err := rs.Scan(&r.err, &r.charge)
			return r, err
		}, func(r row) error {
			if n := len(out); n == 0 || out[n-1].Error != r.err {
				flush()
				out = append(out, usage.FailedGroup{Error: r.err})
			}
			out[len(out)-1].Records++
			// A charge the portal cannot read is left out of the sum, not fatal:
			// the record is still listed with the text the upstream sent.
			_ = sum.Add(r.charge)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("cache: failed groups: %w", err)
	}
	flush()
	return out, nil
}

// FailedIDs returns the FailedRecordIDs of the matching records, in order.
func (db *DB) FailedIDs(ctx context.Context, f usage.FailedFilter) ([]int64, error) {
	w, args := failedWhere(f)
	out, err := all(ctx, db, `SELECT f.failed_id FROM amie_failed f WHERE `+w+` AND f.failed_id > 0 ORDER BY `+failedOrder(f), args, scanValue[int64])
	if err != nil {
		return nil, fmt.Errorf("cache: failed ids: %w", err)
	}
	return out, nil
}

// FailedOptions lists the distinct resources, errors, types and projects
// of the failed records the scope may see.
// They change only when the failed records or the catalogue do, and are
// read again only then (memo.go).
func (db *DB) FailedOptions(ctx context.Context, scope portal.Scope) (usage.FailedOptions, error) {
	return remembered(db, "failed options:"+scopeKey(scope), db.gen(genAMIEFailed, genCatalog),
		func() (usage.FailedOptions, error) { return db.failedOptions(ctx, scope) }, func(o usage.FailedOptions) usage.FailedOptions {
			o.Resources, o.Errors, o.Types, o.Projects = slices.Clone(o.Resources), slices.Clone(o.Errors), slices.Clone(o.Types), slices.Clone(o.Projects)
			return o
		})
}

func (db *DB) failedOptions(ctx context.Context, scope portal.Scope) (usage.FailedOptions, error) {
	var o usage.FailedOptions
	w, args := failedWhere(usage.FailedFilter{Scope: scope})
	err := db.read(ctx, func(tx *sql.Tx) error {
		for _, c := range []struct {
			col string
			dst *[]string
		}{{"resource", &o.Resources}, {"error", &o.Errors}, {"usage_type", &o.Types}} {
			vals, err := amieDistinct(ctx, tx, `SELECT DISTINCT f.`+c.col+` FROM amie_failed f WHERE `+w+` ORDER BY 1`, args)
			if err != nil {
				return err
			}
			*c.dst = vals
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT f.local_project_id, COALESCE(p.key, ''), COALESCE(p.name, '')
			FROM amie_failed f
			LEFT JOIN project_ids pi ON pi.upstream = 'amie' AND pi.upstream_id = f.local_project_id
			LEFT JOIN projects p ON p.key = pi.project_key
			WHERE `+w+` ORDER BY 1`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p usage.ProjectOption
			if err := rows.Scan(&p.ID, &p.Key, &p.Name); err != nil {
				return err
			}
			o.Projects = append(o.Projects, p)
		}
		return rows.Err()
	})
	if err != nil {
		return o, fmt.Errorf("cache: failed filter options: %w", err)
	}
	return o, nil
}

func amieDistinct(ctx context.Context, tx *sql.Tx, q string, args []any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// failedQuery is the list of failed records f selects.
func failedQuery(f usage.FailedFilter) listQuery {
	w, args := failedWhere(f)
	return listQuery{cols: amieFailedCols, from: amieFailedTables, countFrom: `amie_failed f`, where: w, args: args, order: failedOrder(f),
		limit: f.Limit, offset: f.Offset}
}
