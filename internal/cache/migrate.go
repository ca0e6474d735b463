package cache

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// Migrations are applied in name order and recorded by name. A shipped file
// is never edited: a change is a new file. Names are numbered in blocks per
// area (0001-0099 core, 0100 ARGO, 0200 OBI, 0300 AMIE, 0400 VergeOS) so
// that areas developed side by side do not collide.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

func migrationNames() ([]string, error) {
	entries, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimPrefix(e, "migrations/"))
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
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	var unknown []string
	for n := range applied {
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return portal.Errorf(portal.ECONFLICT, "the database %s has a newer schema than this portal (it has migrations %s that this version does not know); run a newer portal or restore a matching backup", db.path, strings.Join(unknown, ", "))
	}
	for _, n := range names {
		if applied[n] {
			continue
		}
		body, err := migrationFiles.ReadFile("migrations/" + n)
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
