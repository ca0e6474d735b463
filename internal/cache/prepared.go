package cache

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Reads prepare their statements once per reader connection: SQLite
// parses and plans a query every time it is prepared, which for the short
// queries of a page costs as much as running them. The reads of list.go
// and the session look-up (every page runs them) go through prepared;
// the statements are kept by their SQL, up to maxPrepared of them (a
// query built for an unusual filter past that is prepared each time).
type preparedStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

const maxPrepared = 256

// prepared returns the reader pool's statement for query, prepared on
// first use, or nil when too many are kept already or no connection is
// free to prepare it on at once. Preparing takes a connection of the pool
// besides the caller's: the caller never waits for one (every connection
// may belong to a read waiting here), and no lock is held meanwhile.
// Once prepared, a transaction's StmtContext prepares it again on its own
// connection the first time, which needs no other connection.
func (db *DB) prepared(ctx context.Context, query string) *sql.Stmt {
	db.stmts.mu.Lock()
	st, full := db.stmts.m[query], len(db.stmts.m) >= maxPrepared
	db.stmts.mu.Unlock()
	if st != nil || full {
		return st
	}
	pctx, cancel := context.WithTimeout(ctx, prepareWait)
	defer cancel()
	st, err := db.r.PrepareContext(pctx, query)
	if err != nil {
		return nil // no free connection now, or a query that will say what is wrong itself
	}
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	if kept := db.stmts.m[query]; kept != nil {
		st.Close()
		return kept
	}
	if db.stmts.m == nil {
		db.stmts.m = map[string]*sql.Stmt{}
	}
	db.stmts.m[query] = st
	return st
}

// prepareWait is how long prepared waits for a free connection before
// the query runs unprepared.
const prepareWait = 20 * time.Millisecond

// closeStmts closes the kept statements.
func (db *DB) closeStmts() {
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	for _, st := range db.stmts.m {
		st.Close()
	}
	db.stmts.m = nil
}

// queryIn runs query in tx (a read transaction of db.r) through its
// prepared statement.
func (db *DB) queryIn(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(ctx, query); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// queryRowIn is queryIn for one row.
func (db *DB) queryRowIn(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := db.prepared(ctx, query); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}
