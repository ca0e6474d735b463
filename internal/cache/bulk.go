package cache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
)

// bulkInsert writes many rows with multi-row INSERT statements
//
//	head VALUES (?, ...), (?, ...), ... tail
//
// of up to bulkRows rows each, each statement prepared once per call:
// one statement per few hundred rows instead of one per row.
type bulkInsert struct {
	head string // "INSERT INTO t(a, b)"
	tail string // "" or "ON CONFLICT(...) DO UPDATE SET ..."
	cols int
}

// bulkRows is the most rows one statement writes (its arguments stay
// well under SQLite's and PostgreSQL's limits on bound parameters).
const bulkRows = 200

func (b bulkInsert) sql(rows int) string {
	one := "(" + placeholders(b.cols) + ")"
	var s strings.Builder
	s.WriteString(b.head)
	s.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(one)
	}
	s.WriteString(" ")
	s.WriteString(b.tail)
	return s.String()
}

// query writes n rows in tx like exec, for a tail that ends in
// RETURNING: scan is called with each row returned.
func (b bulkInsert) query(ctx context.Context, tx *sql.Tx, n int, row func(i int, args []any) []any, scan func(rowScanner) error) error {
	args := make([]any, 0, bulkRows*b.cols)
	for start := 0; start < n; start += bulkRows {
		k := min(bulkRows, n-start)
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		rows, err := tx.QueryContext(ctx, b.sql(k), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// exec writes n rows in tx; row appends the arguments of row i to args
// and returns it. It returns the rows affected.
func (b bulkInsert) exec(ctx context.Context, tx *sql.Tx, n int, row func(i int, args []any) []any) (int64, error) {
	var affected int64
	var full *sql.Stmt
	args := make([]any, 0, bulkRows*b.cols)
	for start := 0; start < n; start += bulkRows {
		k := min(bulkRows, n-start)
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		var res sql.Result
		var err error
		if k == bulkRows {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, b.sql(bulkRows)); err != nil {
					return affected, err
				}
				defer full.Close()
			}
			res, err = full.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, b.sql(k), args...)
		}
		if err != nil {
			return affected, err
		}
		m, _ := res.RowsAffected()
		affected += m
	}
	return affected, nil
}

// lastOfEach returns rows without those a later row of the same id
// replaces (a page that shifted while it was read repeats a row), so that
// no bulk statement writes one row twice. Rows without repeats come back
// as they are.
func lastOfEach[T any](rows []T, id func(T) string) []T {
	at := make(map[string]int, len(rows))
	for i, r := range rows {
		at[id(r)] = i
	}
	if len(at) == len(rows) {
		return rows
	}
	out := make([]T, 0, len(at))
	for i, r := range rows {
		if at[id(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// bulkWrite is write for a transaction that stores one batch of a sync:
// the writer connection takes the dialect's settings for bulk writes
// (sqlBulkBegin) for that transaction only and gets its own back after it
// (sqlBulkEnd), so the sorts of the other writes keep their memory bound.
// A connection that cannot be given its settings back is discarded.
func (db *DB) bulkWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if len(sqlBulkBegin) == 0 {
		return db.write(ctx, fn)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("cache: begin: %w", err)
	}
	defer conn.Close()
	defer func() {
		for _, q := range sqlBulkEnd {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), q); err != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
				return
			}
		}
	}()
	for _, q := range sqlBulkBegin {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("cache: bulk write settings: %w", err)
		}
	}
	return db.writeIn(ctx, conn.BeginTx, fn)
}
