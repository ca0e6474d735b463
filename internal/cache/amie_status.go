package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

func init() {
	registerCountedTable(portal.UpstreamAMIE, "status rows (resource × day)", "amie_status_days")
	registerCountedTable(portal.UpstreamAMIE, "failed records", "amie_failed")
	registerCountedTable(portal.UpstreamAMIE, "uploads", "usage_uploads")
}

// AMIESyncState returns the sync's memory.
func (db *DB) AMIESyncState(ctx context.Context) (usage.SyncState, error) {
	s, err := one(ctx, db, `SELECT last_full_ms, last_run_ms, full_requested_ms FROM amie_sync_state WHERE id = 1`, nil, func(row rowScanner) (usage.SyncState, error) {
		var full, run, req int64
		err := row.Scan(&full, &run, &req)
		return usage.SyncState{LastFull: unixMS(full), LastRun: unixMS(run), FullRequested: unixMS(req)}, err
	})
	if err != nil {
		return usage.SyncState{}, fmt.Errorf("cache: amie sync state: %w", err)
	}
	return s, nil
}

// requestFullAMIESync asks the next AMIE sync to re-read the whole window.
func (db *DB) requestFullAMIESync(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE amie_sync_state SET full_requested_ms = ? WHERE id = 1`, db.nowMS())
	return err
}

// amieStatusBatch is how many rows one multi-row upsert carries (7 values each,
// well under SQLite's 32766 bound on parameters).
const amieStatusBatch = 500

// SaveAMIEStatus writes the status of the re-read days [from, to) in one
// transaction: rows that are new or changed are upserted, and rows of those
// days that the upstream no longer lists (all their failures were cleared,
// say) are removed; unchanged rows are not rewritten, so a sync that finds
// nothing new writes nothing. started is the run's start; full says it
// re-read the whole window. It returns the rows written.
func (db *DB) SaveAMIEStatus(ctx context.Context, rows []usage.StatusDay, from, to, started time.Time, full bool) (int64, error) {
	var written int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		have, err := amieStoredStatus(ctx, tx, from, to)
		if err != nil {
			return err
		}
		var changed []usage.StatusDay
		for _, r := range rows {
			k := amieStatusKey{secs(r.Day), r.Resource}
			if old, ok := have[k]; !ok || old.Loaded != r.Loaded || old.Failed != r.Failed || old.TotalCharge != r.TotalCharge {
				changed = append(changed, r)
			}
			delete(have, k)
		}
		if err := amieUpsertStatus(ctx, tx, changed, db.nowMS()); err != nil {
			return err
		}
		for k := range have {
			if _, err := tx.ExecContext(ctx, `DELETE FROM amie_status_days WHERE day = ? AND resource = ?`, k.day, k.resource); err != nil {
				return err
			}
		}
		written = int64(len(changed) + len(have))
		if err := touchAMIEResources(ctx, tx, amieStatusResources(rows), db.now()); err != nil {
			return err
		}
		set := `last_run_ms = ?`
		if full {
			set += `, last_full_ms = ?`
		}
		_, err = tx.ExecContext(ctx, `UPDATE amie_sync_state SET `+set+` WHERE id = 1`, started.UnixMilli(), started.UnixMilli())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cache: save amie status: %w", err)
	}
	if written > 0 {
		db.bump(genAMIEStatus)
	}
	return written, nil
}

type amieStatusKey struct {
	day      int64
	resource string
}

// amieStoredStatus reads the stored rows of the days [from, to).
func amieStoredStatus(ctx context.Context, tx *sql.Tx, from, to time.Time) (map[amieStatusKey]usage.StatusDay, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+amieStatusCols+` FROM amie_status_days WHERE day >= ? AND day < ?`, secs(from), secs(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[amieStatusKey]usage.StatusDay{}
	for rows.Next() {
		r, err := scanAMIEStatus(rows)
		if err != nil {
			return nil, err
		}
		out[amieStatusKey{secs(r.Day), r.Resource}] = r
	}
	return out, rows.Err()
}

func amieUpsertStatus(ctx context.Context, tx *sql.Tx, rows []usage.StatusDay, stamp int64) error {
	for i := 0; i < len(rows); i += amieStatusBatch {
		part := rows[i:min(i+amieStatusBatch, len(rows))]
		args := make([]any, 0, len(part)*7)
		for _, r := range part {
			args = append(args, secs(r.Day), r.Resource, r.Loaded, r.Failed, r.TotalCharge, amieMicros(r.TotalCharge), stamp)
		}
		q := `INSERT INTO amie_status_days(day, resource, loaded, failed, total_charge, charge_micro, changed_ms) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?),", len(part)), ",") +
			` ON CONFLICT(day, resource) DO UPDATE SET loaded = excluded.loaded, failed = excluded.failed,
			total_charge = excluded.total_charge, charge_micro = excluded.charge_micro, changed_ms = excluded.changed_ms`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

func amieStatusResources(rows []usage.StatusDay) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if !seen[r.Resource] {
			seen[r.Resource] = true
			out = append(out, r.Resource)
		}
	}
	return out
}

// touchAMIEResources records resources the upstream reported.
func touchAMIEResources(ctx context.Context, tx *sql.Tx, names []string, now int64) error {
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO amie_resources(name, last_seen) VALUES (?, ?)
			ON CONFLICT(name) DO UPDATE SET last_seen = excluded.last_seen`, n, now); err != nil {
			return err
		}
	}
	return nil
}

// AMIEResources lists the resources the upstream has reported, by name.
// A new name comes only with a status day or failed record that is new
// (both syncs bump their generation then), so the list is kept until one
// of them moves (memo.go).
func (db *DB) AMIEResources(ctx context.Context) ([]string, error) {
	out, err := remembered(db, "amie resources", db.gen(genAMIEStatus, genAMIEFailed), func() ([]string, error) {
		return all(ctx, db, `SELECT name FROM amie_resources ORDER BY name`, nil, scanValue[string])
	}, slices.Clone)
	if err != nil {
		return nil, fmt.Errorf("cache: amie resources: %w", err)
	}
	return out, nil
}
