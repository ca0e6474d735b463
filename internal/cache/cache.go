// Package cache is the portal's storage, and only that: the schema and its
// migrations, and the SQL that stores and reads the domain types of
// internal/portal and the area packages (internal/budgets, metrics, usage,
// billing): the
// upstream data that sync writes and pages read, sessions, requests and
// approvals, the outbox and the audit trail. State machines, payloads and
// page rows belong to the area packages; what a request's state becomes
// is theirs to say, and the cache writes it.
//
// There is one database file in WAL mode, written through a single
// connection (SQLite allows one writer; queuing writers in Go beats
// "database is locked" errors) and read through a pool. Every
// per-connection setting (foreign keys, busy timeout, WAL) is in the DSN, so
// each pooled connection has it. Whatever only SQLite understands is in
// dialect_sqlite.go.
//
// Times are stored as INTEGER Unix seconds, UTC, unless a column name ends
// in _ms (Unix milliseconds). Money is stored as TEXT holding an exact
// decimal.
package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// DB is an open cache.
type DB struct {
	w    *sql.DB // the one writer connection
	r    *sql.DB // readers
	path string
	// settlers are the outbox kinds' settlers (SetSettlers).
	settlers map[string]Settler
	// gens and memo keep answers that change only when synced data
	// does (memo.go).
	gens gens
	memo memo
	// personal keeps answers per person (the navigation's counts) apart
	// from memo, so many people cannot crowd out the shared answers.
	personal memo
	// ranges keeps what a range given by the clock holds, by its seconds
	// (rememberBilling): many keys, each asked for a moment.
	ranges memo
	// stmts are the reads' prepared statements (prepared.go).
	stmts preparedStmts
	// committed holds, per write transaction, the generations to move
	// when it commits (bumpOnCommit).
	committed sync.Map
	// amieFailedMu makes replacements of the AMIE failed records, which
	// stage their rows over many transactions, one at a time (amie_failed.go).
	amieFailedMu sync.Mutex
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations. It refuses a database whose schema is newer than this
// binary.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		// Two pools on :memory: would be two different databases.
		return nil, fmt.Errorf("cache: a database file path is required")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	w, err := sql.Open(driverName, dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open(driverName, dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	db := &DB{w: w, r: r, path: path, Now: time.Now}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.closeStmts()
	return errors.Join(db.r.Close(), db.w.Close())
}

// Path returns the database file path.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	if _, err := one(ctx, db, "SELECT 1", nil, scanValue[int]); err != nil {
		return fmt.Errorf("cache: ping: %w", err)
	}
	return nil
}

// now returns the current time in Unix seconds.
func (db *DB) now() int64 { return db.Now().UTC().Unix() }

// nowMS returns the current time in Unix milliseconds.
func (db *DB) nowMS() int64 { return db.Now().UTC().UnixMilli() }

// write runs fn in a write transaction and commits it, or rolls it back if
// fn fails, so that nothing half-written stays behind.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.writeIn(ctx, db.w.BeginTx, fn)
}

// writeIn is write with the transaction begun by begin (the writer pool's
// or one of its connections').
func (db *DB) writeIn(ctx context.Context, begin func(context.Context, *sql.TxOptions) (*sql.Tx, error), fn func(tx *sql.Tx) error) error {
	tx, err := begin(ctx, nil)
	if err != nil {
		return fmt.Errorf("cache: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		db.committed.LoadAndDelete(tx)
		return err
	}
	err = tx.Commit()
	after, _ := db.committed.LoadAndDelete(tx)
	if err != nil {
		return fmt.Errorf("cache: commit: %w", err)
	}
	if names, ok := after.([]string); ok {
		db.bump(names...)
	}
	return nil
}

// bumpOnCommit moves the generations of the names once tx (a write of
// db.write) commits: for writes made by code that runs inside a
// transaction it does not end, such as the outbox's settlers.
func (db *DB) bumpOnCommit(tx *sql.Tx, names ...string) {
	v, _ := db.committed.Load(tx)
	prev, _ := v.([]string)
	db.committed.Store(tx, append(slices.Clone(prev), names...))
}

// read runs fn in a read-only transaction, so that its queries see one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("cache: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// notFound turns sql.ErrNoRows into ENOTFOUND with msg.
func notFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return portal.Errorf(portal.ENOTFOUND, "%s", msg)
	}
	return err
}

// unix converts Unix seconds to a UTC time; 0 is the zero time.
func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// unixMS converts Unix milliseconds to a UTC time; 0 is the zero time.
func unixMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// secs converts t to Unix seconds; the zero time is 0.
func secs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UTC().Unix()
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readCounts is countByState in a read transaction of its own.
func (db *DB) readCounts(ctx context.Context, query string, args ...any) (map[string]int, error) {
	var out map[string]int
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = countByState(ctx, tx, query, args...)
		return err
	})
	return out, err
}

// countByState runs a query whose rows are (state, count) and returns the
// counts by state.
func countByState(ctx context.Context, q querier, query string, args ...any) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
