package cache

import (
	"context"
	"database/sql"
)

// Reads. Every read runs in db.read, a read-only transaction, so that the
// queries of one answer see one snapshot (a count and its page agree even
// while a sync writes). The helpers here do the rest once: list (a
// filtered, sorted page and how many match), each (the same rows,
// streamed, for CSVs), one (a single row) and all (every row of a small
// query), with generic scanning.

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// listQuery is a filtered, sorted list of rows:
//
//	[with] SELECT cols FROM from WHERE where ORDER BY order [LIMIT limit OFFSET offset]
//
// and how many rows match:
//
//	SELECT COUNT(*) FROM countFrom WHERE where   (countFrom set)
//	[with] SELECT COUNT(*) FROM from WHERE where (otherwise)
type listQuery struct {
	// with is a WITH clause the select needs ("" for none); withArgs are
	// its arguments, which come first.
	with     string
	withArgs []any
	cols     string
	colsArgs []any  // the arguments of cols (a subquery's), after withArgs
	from     string // tables and joins, without FROM
	// countFrom is the from of the count when the page's joins (names
	// looked up with LEFT JOINs) cannot change how many rows match, so
	// the count need not make them.
	countFrom string
	where     string // "1=1" for every row
	args      []any
	order     string // without ORDER BY, e.g. "r.id" + dir(desc)
	// limit 0 takes every row (after offset).
	limit, offset int
}

// dir is the SQL of a sort direction.
func dir(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}

// selectSQL returns the query of the rows and its arguments.
func (q listQuery) selectSQL() (string, []any) {
	s := `SELECT ` + q.cols + ` FROM ` + q.from + ` WHERE ` + q.where + ` ORDER BY ` + q.order
	if q.with != "" {
		s = q.with + ` ` + s
	}
	args := append(append(append([]any{}, q.withArgs...), q.colsArgs...), q.args...)
	switch {
	case q.limit > 0:
		s += ` LIMIT ? OFFSET ?`
		args = append(args, q.limit, q.offset)
	case q.offset > 0:
		s += ` LIMIT ` + sqlNoLimit + ` OFFSET ?`
		args = append(args, q.offset)
	}
	return s, args
}

// countSQL returns the query of how many rows match and its arguments.
func (q listQuery) countSQL() (string, []any) {
	if q.countFrom != "" {
		return `SELECT COUNT(*) FROM ` + q.countFrom + ` WHERE ` + q.where, q.args
	}
	s := `SELECT COUNT(*) FROM ` + q.from + ` WHERE ` + q.where
	if q.with != "" {
		s = q.with + ` ` + s
	}
	return s, append(append([]any{}, q.withArgs...), q.args...)
}

// list returns the page q selects and how many rows match, read in one
// snapshot.
func list[T any](ctx context.Context, db *DB, q listQuery, scan func(rowScanner) (T, error)) ([]T, int64, error) {
	var out []T
	var total int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		s, args := q.countSQL()
		if err := db.queryRowIn(ctx, tx, s, args...).Scan(&total); err != nil {
			return err
		}
		sel, args := q.selectSQL()
		return eachRow(ctx, db, tx, sel, args, scan, func(v T) error { out = append(out, v); return nil })
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// each calls fn with every row q selects, in order, one at a time from one
// snapshot, so a CSV of any length streams in constant memory.
func each[T any](ctx context.Context, db *DB, q listQuery, scan func(rowScanner) (T, error), fn func(T) error) error {
	return db.read(ctx, func(tx *sql.Tx) error {
		s, args := q.selectSQL()
		return eachRow(ctx, db, tx, s, args, scan, fn)
	})
}

// eachRow calls fn with every row of a query in tx (a read of db), scanned.
func eachRow[T any](ctx context.Context, db *DB, tx *sql.Tx, query string, args []any, scan func(rowScanner) (T, error), fn func(T) error) error {
	rows, err := db.queryIn(ctx, tx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// all returns every row of a query, scanned: for small answers (a page's
// options, one object's attempts), not for lists a URL can make long.
func all[T any](ctx context.Context, db *DB, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	var out []T
	err := db.read(ctx, func(tx *sql.Tx) error {
		return eachRow(ctx, db, tx, query, args, scan, func(v T) error { out = append(out, v); return nil })
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// one returns the single row of a query, scanned; sql.ErrNoRows (which
// notFound turns into ENOTFOUND) when there is none.
func one[T any](ctx context.Context, db *DB, query string, args []any, scan func(rowScanner) (T, error)) (T, error) {
	var v T
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		v, err = scan(db.queryRowIn(ctx, tx, query, args...))
		return err
	})
	return v, err
}

// scanValue scans a row of one column.
func scanValue[T any](row rowScanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}
