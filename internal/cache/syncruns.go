package cache

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// StartSyncRun records the start of a sync run and returns its id.
func (db *DB) StartSyncRun(ctx context.Context, upstream string) (int64, error) {
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO sync_runs(upstream, started_ms) VALUES (?, ?) RETURNING id`,
			upstream, db.nowMS()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("cache: start sync run: %w", err)
	}
	db.bump(genRuns)
	return id, nil
}

// FinishSyncRun records the end of a run with the rows it wrote and its
// error ("" for success).
func (db *DB) FinishSyncRun(ctx context.Context, id int64, rows int64, errText string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sync_runs SET finished_ms = ?, rows = ?, error = ? WHERE id = ?`,
			db.nowMS(), rows, errText, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: finish sync run: %w", err)
	}
	db.bump(genRuns)
	return nil
}

// AbandonSyncRuns marks runs left unfinished by a stopped process as failed.
func (db *DB) AbandonSyncRuns(ctx context.Context) error {
	defer db.bump(genRuns)
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sync_runs SET finished_ms = ?, error = 'interrupted: the portal stopped during this run' WHERE finished_ms IS NULL`, db.nowMS())
		return err
	})
}

const syncRunCols = `id, upstream, started_ms, COALESCE(finished_ms, 0), rows, error`

func scanSyncRun(row interface{ Scan(...any) error }) (*portal.SyncRun, error) {
	var r portal.SyncRun
	var started, finished int64
	if err := row.Scan(&r.ID, &r.Upstream, &started, &finished, &r.Rows, &r.Error); err != nil {
		return nil, err
	}
	r.Started, r.Finished = unixMS(started), unixMS(finished)
	return &r, nil
}

// SourceStatuses returns the status of each named upstream. Every page
// shows it, and it changes only when a sync run starts or ends: it is
// read again only then (memo.go).
func (db *DB) SourceStatuses(ctx context.Context, upstreams []string) (map[string]portal.SourceStatus, error) {
	return remembered(db, "source statuses:"+strings.Join(upstreams, ","), db.gen(genRuns),
		func() (map[string]portal.SourceStatus, error) { return db.sourceStatuses(ctx, upstreams) }, maps.Clone)
}

func (db *DB) sourceStatuses(ctx context.Context, upstreams []string) (map[string]portal.SourceStatus, error) {
	out := make(map[string]portal.SourceStatus, len(upstreams))
	err := db.read(ctx, func(tx *sql.Tx) error {
		for _, u := range upstreams {
			s := portal.SourceStatus{Upstream: u}
			var err error
			if s.LastRun, err = oneRun(ctx, tx, `WHERE upstream = ? ORDER BY started_ms DESC, id DESC LIMIT 1`, u); err != nil {
				return err
			}
			if s.LastSuccess, err = oneRun(ctx, tx, `WHERE upstream = ? AND finished_ms IS NOT NULL AND error = '' ORDER BY started_ms DESC, id DESC LIMIT 1`, u); err != nil {
				return err
			}
			if s.LastError, err = oneRun(ctx, tx, `WHERE upstream = ? AND error <> '' ORDER BY started_ms DESC, id DESC LIMIT 1`, u); err != nil {
				return err
			}
			out[u] = s
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cache: source statuses: %w", err)
	}
	return out, nil
}

func oneRun(ctx context.Context, tx *sql.Tx, where string, args ...any) (*portal.SyncRun, error) {
	r, err := scanSyncRun(tx.QueryRowContext(ctx, `SELECT `+syncRunCols+` FROM sync_runs `+where, args...))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return r, err
}

// RecentSyncRuns lists the newest runs of an upstream, newest first.
func (db *DB) RecentSyncRuns(ctx context.Context, upstream string, limit int) ([]portal.SyncRun, error) {
	out, err := all(ctx, db, `SELECT `+syncRunCols+` FROM sync_runs WHERE upstream = ? ORDER BY started_ms DESC, id DESC LIMIT ?`,
		[]any{upstream, limit}, func(row rowScanner) (portal.SyncRun, error) {
			r, err := scanSyncRun(row)
			if err != nil {
				return portal.SyncRun{}, err
			}
			return *r, nil
		})
	if err != nil {
		return nil, fmt.Errorf("cache: recent sync runs: %w", err)
	}
	return out, nil
}
