package cache

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
)

// Events that time raises: a request left pending, a source failing for
// too long. The app checks them every little while; each check writes
// its events in the transaction that records them, so none is raised twice.

// RemindPending raises a reminder to the admins for each budget request
// pending for at least age, and again each age it stays pending. It
// returns how many it raised.
func (db *DB) RemindPending(ctx context.Context, age time.Duration, now time.Time) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		cut := secs(now.Add(-age))
		rows, err := tx.QueryContext(ctx, `SELECT r.id FROM budget_requests r LEFT JOIN notify_reminders m ON m.request_id = r.id
			WHERE r.state = 'pending' AND r.created_at <= ? AND (m.reminded_at IS NULL OR m.reminded_at <= ?) ORDER BY r.id LIMIT 200`, cut, cut)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			r, err := budgetRequest(ctx, tx, id)
			if err != nil {
				return err
			}
			rcpts, err := admins(ctx, tx, notify.KindRequestPending)
			if err != nil {
				return err
			}
			if err := db.raise(ctx, tx, notify.RequestPending(r, now), rcpts); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_reminders(request_id, reminded_at) VALUES (?, ?)
				ON CONFLICT(request_id) DO UPDATE SET reminded_at = excluded.reminded_at`, id, secs(now)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: remind pending requests: %w", err)
	}
	return n, nil
}

// NoteSourceFailures raises an event to the admins for each upstream
// whose syncs have all failed for at least after (since the first failed
// run after its last good one), once per such stretch; a good run ends
// the stretch. It returns how many it raised.
func (db *DB) NoteSourceFailures(ctx context.Context, upstreams []string, after time.Duration, now time.Time) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, up := range upstreams {
			var good int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM sync_runs WHERE upstream = ? AND finished_ms IS NOT NULL AND error = ''`, up).
				Scan(&good); err != nil {
				return err
			}
			var lastErr string
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT error FROM sync_runs WHERE upstream = ? AND id > ? AND error <> ''
				ORDER BY id DESC LIMIT 1), '')`, up, good).Scan(&lastErr); err != nil {
				return err
			}
			var since sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MIN(started_ms) FROM sync_runs WHERE upstream = ? AND id > ? AND error <> ''`, up, good).Scan(&since); err != nil {
				return err
			}
			if !since.Valid {
				if _, err := tx.ExecContext(ctx, `DELETE FROM notify_source_alerts WHERE upstream = ?`, up); err != nil {
					return err
				}
				continue
			}
			sinceMS := since.Int64
			if now.Sub(unixMS(sinceMS)) < after {
				continue
			}
			var alerted int64
			switch err := tx.QueryRowContext(ctx, `SELECT since_ms FROM notify_source_alerts WHERE upstream = ?`, up).Scan(&alerted); {
			case err == sql.ErrNoRows:
			case err != nil:
				return err
			}
			if alerted == sinceMS {
				continue
			}
			rcpts, err := admins(ctx, tx, notify.KindSourceFailing)
			if err != nil {
				return err
			}
			if err := db.raise(ctx, tx, notify.SourceFailing(portal.UpstreamTitle(up), up, lastErr, unixMS(sinceMS), now), rcpts); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_source_alerts(upstream, since_ms, alerted_at) VALUES (?, ?, ?)
				ON CONFLICT(upstream) DO UPDATE SET since_ms = excluded.since_ms, alerted_at = excluded.alerted_at`, up, sinceMS, secs(now)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: note failing sources: %w", err)
	}
	return n, nil
}
