package cache

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// Migrations are applied in name order and recorded by name (the file's
// base name, without its directory: a database made when they lived in
// migrations/ opens unchanged). A shipped file is never edited: a change
// is a new file. Names are numbered in blocks per area (0001-0099 core,
// 0100 ARGO, 0200 OBI, 0300 AMIE, 0400 VergeOS) so that areas developed
// side by side do not collide. Each dialect has its own directory
// (migrationsDir) with the same names.
//
//go:embed migrations/sqlite/*.sql
var migrationFiles embed.FS

func migrationNames() ([]string, error) {
	entries, err := fs.Glob(migrationFiles, migrationsDir+"/*.sql")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, path.Base(e))
	}
	sort.Strings(names)
	return names, nil
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("cache: migrations table: %w", err)
	}
	names, err := migrationNames()
	if err != nil {
		return fmt.Errorf("cache: list migrations: %w", err)
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	// This is where the portal refuses a database newer than itself: a
	// migration recorded in the database that this binary does not ship
	// means a newer portal has changed the schema, and running an older one
	// on it could lose or corrupt data.
	plan := planFor(db.path, true, applied, names)
	if err := plan.newerError(); err != nil {
		return err
	}
	for _, n := range plan.Pending {
		body, err := migrationFiles.ReadFile(migrationsDir + "/" + n)
		if err != nil {
			return fmt.Errorf("cache: read migration %s: %w", n, err)
		}
		err = db.write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("cache: migration %s: %w", n, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)`, n, db.now())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) appliedMigrations(ctx context.Context) (map[string]bool, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("cache: read migrations: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("cache: read migrations: %w", err)
		}
		applied[n] = true
	}
	return applied, rows.Err()
}

// MigrationPlan is what opening a database would do to its schema.
type MigrationPlan struct {
	Path string
	// Exists is false when there is no database file yet (opening creates it).
	Exists bool
	// Applied are the migrations recorded in the database that this binary
	// knows; Pending are the ones it would apply, in order; Unknown are
	// recorded but unknown to this binary: the database is newer than it.
	Applied, Pending, Unknown []string
}

// Newer reports whether the database's schema is newer than this binary's.
func (p MigrationPlan) Newer() bool { return len(p.Unknown) > 0 }

func (p MigrationPlan) newerError() error {
	if !p.Newer() {
		return nil
	}
	return portal.Errorf(portal.ECONFLICT, "the database %s has a newer schema than this portal (it has migrations %s that this version does not know); run a newer portal or restore a matching backup", p.Path, strings.Join(p.Unknown, ", "))
}

func planFor(path string, exists bool, applied map[string]bool, names []string) MigrationPlan {
	p := MigrationPlan{Path: path, Exists: exists}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
		if applied[n] {
			p.Applied = append(p.Applied, n)
		} else {
			p.Pending = append(p.Pending, n)
		}
	}
	for n := range applied {
		if !known[n] {
			p.Unknown = append(p.Unknown, n)
		}
	}
	sort.Strings(p.Unknown)
	return p
}

// Migrations lists the migrations this binary ships, in the order they apply.
func Migrations() []string {
	names, _ := migrationNames()
	return names
}

// PlanMigrations says what opening the database at path would apply,
// without changing it (it is opened for queries only, so a running portal
// may keep using it). A database newer than this binary gives a plan with
// Unknown migrations, not an error.
func PlanMigrations(ctx context.Context, path string) (MigrationPlan, error) {
	names, err := migrationNames()
	if err != nil {
		return MigrationPlan{}, fmt.Errorf("cache: list migrations: %w", err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return planFor(path, false, nil, names), nil
	} else if err != nil {
		return MigrationPlan{}, fmt.Errorf("cache: %w", err)
	}
	conn, err := openReadOnly(path, true)
	if err != nil {
		return MigrationPlan{}, err
	}
	defer conn.Close()
	applied, err := readApplied(ctx, conn)
	if err != nil {
		return MigrationPlan{}, fmt.Errorf("cache: %s: %w", path, err)
	}
	return planFor(path, true, applied, names), nil
}

// openReadOnly opens an existing database file (a missing one is an
// error, never created) for queries only, unless queryOnly is off (see
// toolDSN).
func openReadOnly(path string, queryOnly bool) (*sql.DB, error) {
	conn, err := sql.Open(driverName, toolDSN(path, queryOnly))
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	conn.SetMaxOpenConns(1)
	return conn, nil
}

// readApplied reads the recorded migrations; a database without the
// migrations table has none.
func readApplied(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, sqlTableExists, "schema_migrations")
	if err != nil {
		return nil, err
	}
	has := rows.Next()
	rows.Close()
	applied := map[string]bool{}
	if !has {
		return applied, nil
	}
	rows, err = q.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		applied[n] = true
	}
	return applied, rows.Err()
}

// SchemaCurrent checks that the database answers and holds exactly the
// migrations this binary ships: what the readiness check reports.
func (db *DB) SchemaCurrent(ctx context.Context) error {
	names, err := migrationNames()
	if err != nil {
		return err
	}
	var applied map[string]bool
	err = db.read(ctx, func(tx *sql.Tx) error {
		applied, err = readApplied(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: read migrations: %w", err)
	}
	plan := planFor(db.path, true, applied, names)
	if err := plan.newerError(); err != nil {
		return err
	}
	if len(plan.Pending) > 0 {
		return fmt.Errorf("cache: migrations %s are not applied", strings.Join(plan.Pending, ", "))
	}
	return nil
}

// AppliedMigrations lists the migrations recorded in the database, in order.
func (db *DB) AppliedMigrations(ctx context.Context) ([]string, error) {
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(applied))
	for n := range applied {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// Migrate applies the pending migrations of the database at path (creating
// it if missing) and returns the plan it carried out. A database newer than
// this binary is refused and left as it is.
func Migrate(ctx context.Context, path string) (MigrationPlan, error) {
	plan, err := PlanMigrations(ctx, path)
	if err != nil {
		return plan, err
	}
	if err := plan.newerError(); err != nil {
		return plan, err
	}
	db, err := Open(ctx, path)
	if err != nil {
		return plan, err
	}
	return plan, db.Close()
}
