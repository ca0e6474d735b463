package cache

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/accounting-portal/portal/internal/portal"
)

// audit records a state change inside tx, so that the change and its record
// commit together.
func (db *DB) audit(ctx context.Context, tx *sql.Tx, e portal.AuditEntry) error {
	if e.At.IsZero() {
		e.At = db.Now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit(at_ms, actor, actor_name, subject, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.At.UTC().UnixMilli(), e.Actor, e.ActorName, e.Subject, e.From, e.To, e.Reason)
	if err != nil {
		return fmt.Errorf("cache: audit: %w", err)
	}
	return nil
}

// AuditTrail returns the changes of the given subjects, oldest first.
func (db *DB) AuditTrail(ctx context.Context, subjects ...string) ([]portal.AuditEntry, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT at_ms, actor, actor_name, subject, from_state, to_state, reason FROM audit
		WHERE subject IN (`+placeholders(len(subjects))+`) ORDER BY at_ms, id`, anys(subjects)...)
	if err != nil {
		return nil, fmt.Errorf("cache: audit trail: %w", err)
	}
	defer rows.Close()
	var out []portal.AuditEntry
	for rows.Next() {
		var e portal.AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.ActorName, &e.Subject, &e.From, &e.To, &e.Reason); err != nil {
			return nil, fmt.Errorf("cache: audit trail: %w", err)
		}
		e.At = unixMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
