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
		WHERE subject IN (`+placeholders(len(subjects))+`) ORDER BY at_ms, id`, anys(subjects), scanAudit)
	if err != nil {
		return nil, fmt.Errorf("cache: audit trail: %w", err)
	}
	return out, nil
}

func scanAudit(row rowScanner) (portal.AuditEntry, error) {
	var e portal.AuditEntry
	var at int64
	err := row.Scan(&at, &e.Actor, &e.ActorName, &e.Subject, &e.From, &e.To, &e.Reason)
	e.At = unixMS(at)
	return e, err
}

// RecordAudit records a change that has no row of its own to commit
// with, such as an admin starting a sync by hand.
func (db *DB) RecordAudit(ctx context.Context, e portal.AuditEntry) error {
	return db.write(ctx, func(tx *sql.Tx) error { return db.audit(ctx, tx, e) })
}

// LatestAudit returns the newest limit changes of subject, newest first.
func (db *DB) LatestAudit(ctx context.Context, subject string, limit int) ([]portal.AuditEntry, error) {
	out, err := all(ctx, db, `SELECT at_ms, actor, actor_name, subject, from_state, to_state, reason FROM audit
		WHERE subject = ? ORDER BY at_ms DESC, id DESC LIMIT ?`, []any{subject, limit}, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("cache: latest audit: %w", err)
	}
	return out, nil
}
