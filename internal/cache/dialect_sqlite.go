package cache

import (
	"errors"
	"net/url"

	"modernc.org/sqlite" // also registers the database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// The SQLite dialect: everything the cache says that only SQLite
// understands (the driver and its connection settings, SQL that other
// databases write differently, and the driver's error codes) is here, by
// name, and nowhere else in the package (TestDialect_SQLiteOnlyHere). A
// second backend (PostgreSQL) supplies the same names; the rest of the
// cache is plain SQL that both accept. The migrations of this dialect are
// in migrations/sqlite.

// driverName is the database/sql driver (modernc.org/sqlite, pure Go).
const driverName = "sqlite"

// migrationsDir is where this dialect's migrations are embedded.
const migrationsDir = "migrations/sqlite"

// dsn returns the data source name of the database file at path for the
// writer connection or the reader pool. Every per-connection setting is in
// it (SQLite settings are per connection, and a pool opens connections
// when it likes): foreign keys, a busy wait instead of "database is
// locked", WAL (readers never wait for the writer), and for readers
// query_only, so a read can never write.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if writer {
		// Take the write lock at BEGIN, so a transaction never fails half-way
		// on upgrading a read lock.
		q.Set("_txlock", "immediate")
		// The page cache and temporary storage keep SQLite's defaults
		// (2 MiB, files): measured on a first ARGO sync, a writer cache of
		// 8, 16 or 32 MiB grew the process by five times as much (its sorts
		// size their memory by it) and gained nothing measurable, and
		// in-memory temporary storage grew it by the size of the largest
		// sort (the transactions that store a sync's batches have it:
		// sqlBulkBegin). The writes are cheap through their shape instead:
		// multi-row statements in large transactions. What is tuned is on
		// disk: the write-ahead log is copied back into the database (and
		// synced) after 10000 pages (40 MB) rather than 1000, so a sync's
		// batches are not each followed by a checkpoint.
		q.Add("_pragma", "wal_autocheckpoint(10000)")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// sqlBulkBegin are the writer connection's settings for a transaction that
// stores a batch of a sync (bulkWrite), and sqlBulkEnd gives it its own
// back. A multi-row upsert keeps a statement journal (to undo the
// statement alone should a row fail), and past 64 KiB SQLite writes that
// journal to a temporary file: on a first ARGO sync a seventh of the time
// went to writing it. In memory it holds only the pages one statement of a
// few hundred rows changes. The setting is not kept for every write
// because it also keeps every sort in memory: the totals at the end of a
// sync sort hundreds of thousands of rows.
var (
	sqlBulkBegin = []string{`PRAGMA temp_store = MEMORY`}
	sqlBulkEnd   = []string{`PRAGMA temp_store = DEFAULT`}
)

// toolDSN returns the data source name with which a command (migrate
// -check, backup) opens an existing database file: never created (mode
// rw), for queries only when queryOnly is set (VACUUM INTO, which writes
// only its target, needs it off). It is read-write at the file level, not
// mode=ro: a read-only connection to a WAL database creates its -wal and
// -shm files and cannot remove them when it closes, and such files left
// behind, owned by whoever ran the command, would stop the portal's own
// user from opening the database. As a read-write connection, the last one
// to close removes them, as the portal does.
func toolDSN(path string, queryOnly bool) string {
	q := url.Values{}
	q.Set("mode", "rw")
	if queryOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Add("_pragma", "busy_timeout(10000)")
	return "file:" + path + "?" + q.Encode()
}

// sqlTableExists answers one row when the table named by its argument exists.
const sqlTableExists = `SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`

// sqlNoLimit is the LIMIT that takes every row, for an OFFSET without a limit.
const sqlNoLimit = "-1"

// sqlRowID is the hidden id of a row of a rowid table: the last
// tie-break of an order that an index holds (PostgreSQL has no such column
// and needs one of its own).
const sqlRowID = "rowid"

// sqlMonthStart is the Unix seconds of 00:00 UTC on the first of the month
// of the Unix seconds in expr.
func sqlMonthStart(expr string) string {
	return `CAST(strftime('%s', ` + expr + `, 'unixepoch', 'start of month') AS INTEGER)`
}

// sqlGreatest is the larger of two values (SQLite's MAX with two
// arguments; PostgreSQL's GREATEST).
func sqlGreatest(a, b string) string { return `MAX(` + a + `, ` + b + `)` }

// sqlDiffers is true when a and b (values or row values) differ, a NULL
// differing from any value but another NULL (PostgreSQL: IS DISTINCT FROM).
func sqlDiffers(a, b string) string { return a + ` IS NOT ` + b }

// sqlVacuumInto writes a consistent, compact copy of the database into the
// (empty or missing) file its argument names, from one snapshot, while
// writers go on.
const sqlVacuumInto = `VACUUM INTO ?`

// sqlQuickCheck checks a database file's integrity; it answers "ok".
const sqlQuickCheck = `PRAGMA quick_check`

// isUniqueViolation reports whether err is a write refused by a unique
// index or primary key.
func isUniqueViolation(err error) bool {
	code, ok := errCode(err)
	return ok && (code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// isBusy reports whether err is the database staying locked by another
// connection for longer than the busy timeout.
func isBusy(err error) bool {
	code, ok := errCode(err)
	// The primary code is the low byte of an extended one (SQLITE_BUSY_SNAPSHOT, ...).
	return ok && (code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED)
}

func errCode(err error) (int, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return 0, false
	}
	return se.Code(), true
}
