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
	out, err := all(ctx, db, `SELECT at_ms, actor, actor_name, subject, from_state, to_state, reason FROM audit
		WHERE subject IN (`+placeholders(len(subjects))+`) ORDER BY at_ms, id`, anys(subjects), func(row rowScanner) (portal.AuditEntry, error) {
		var e portal.AuditEntry
		var at int64
		err := row.Scan(&at, &e.Actor, &e.ActorName, &e.Subject, &e.From, &e.To, &e.Reason)
		e.At = unixMS(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: audit trail: %w", err)
	}
	return out, nil
}
