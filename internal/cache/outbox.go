package cache

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Settler applies an outbox item's new state to the request it delivers,
// inside the transaction that records the state. The settlers are
// methods of DB (SettleBudgetRequest, ...); the outbox table
// (internal/outbox/kinds.go) names one per kind and gives them to the DB
// at start (SetSettlers). It is an alias so that the table and the cache
// name one type without importing each other.
type Settler = func(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error

// SetSettlers gives the DB the settler of each outbox kind, once at start
// (outbox.New does), before anything is settled. Every change of an
// item's state (an attempt, a look-up, recovery, an admin's decision or
// "send again") runs its kind's settler in the same transaction.
func (db *DB) SetSettlers(byKind map[string]Settler) { db.settlers = maps.Clone(byKind) }

// settle runs the settler of the item's kind inside tx. A stand-alone item (of
// a kind that is not one of portal.OutboxKinds) has none; one of those
// kinds without a settler is a wiring fault, refused rather than leaving
// its request behind.
func (db *DB) settle(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	if s := db.settlers[it.Kind]; s != nil {
		return s(ctx, tx, it, o)
	}
	if slices.Contains(portal.OutboxKinds, it.Kind) {
		return fmt.Errorf("cache: no settler for outbox kind %q (the outbox table gives them at start)", it.Kind)
	}
	return nil
}

// enqueue records an outbox item inside tx and returns its id.
func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, it portal.OutboxItem) (int64, error) {
	if it.MaxAttempts <= 0 {
		it.MaxAttempts = portal.OutboxMaxAttempts
	}
	now := db.now()
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO outbox(kind, upstream, ref, summary, payload, state, max_attempts, next_attempt_at, created_by,
		created_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING id`,
		it.Kind, it.Upstream, it.Ref, it.Summary, it.Payload, it.MaxAttempts, now, it.CreatedBy, it.CreatedByName, now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cache: enqueue: %w", err)
	}
	return id, db.audit(ctx, tx, portal.AuditEntry{Actor: it.CreatedBy, ActorName: it.CreatedByName, Subject: outboxSubject(id), To: portal.OutboxQueued,
		Reason: it.Summary})
}

// Enqueue records a stand-alone outbox item (one with no request row of
// its own) and returns its id.
func (db *DB) Enqueue(ctx context.Context, it portal.OutboxItem) (int64, error) {
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = db.enqueue(ctx, tx, it)
		return err
	})
	return id, err
}

// RequeueOutbox sends a failed or dead item again, on an admin's word. This
// is safe because those states mean the upstream provably did not apply it.
// The request the item delivers hears of it through its settler, in the
// same transaction, like any other state change.
func (db *DB) RequeueOutbox(ctx context.Context, id int64, actor, actorName string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		it, err := scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
		if err != nil {
			return notFound(err, fmt.Sprintf("outbox item %d does not exist", id))
		}
		if it.State != portal.OutboxFailed && it.State != portal.OutboxDead {
			return portal.Errorf(portal.ECONFLICT, "outbox item %d can only be sent again when it has failed or given up (it is %s)", id, it.State)
		}
		prev := it.State
		it.State, it.NextAttemptAt, it.MaxAttempts = portal.OutboxQueued, db.Now(), it.Attempts+portal.OutboxMaxAttempts
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'queued', next_attempt_at = ?, max_attempts = ?, updated_at = ? WHERE id = ?`,
			db.now(), it.MaxAttempts, db.now(), id); err != nil {
			return err
		}
		const reason = "sent again by an admin"
		if err := db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: outboxSubject(id), From: prev, To: portal.OutboxQueued, Reason: reason}); err != nil {
			return err
		}
		return db.settle(ctx, tx, *it, portal.OutboxOutcome{State: portal.OutboxQueued, NextAttempt: it.NextAttemptAt, Actor: actor, ActorName: actorName, Reason: reason})
	})
}

func outboxSubject(id int64) string { return "outbox:" + strconv.FormatInt(id, 10) }

const outboxCols = `id, kind, upstream, ref, summary, payload, state, attempts, max_attempts, next_attempt_at, last_error, result, created_by, created_at, updated_at,
	first_sent_ms, unknown_attempts, created_by_name`

func scanOutbox(row rowScanner) (*portal.OutboxItem, error) {
	it, err := scanOutboxItem(row)
	if err != nil {
		return nil, err
	}
	return &it, nil
}

// ClaimOutbox takes the oldest due item that is queued (to send) or in
// verify (to look up), marks a queued one as sending with one more
// attempt, and returns it. It returns ENOTFOUND when nothing is due.
func (db *DB) ClaimOutbox(ctx context.Context) (*portal.OutboxItem, error) {
	var it *portal.OutboxItem
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		it, err = scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox
			WHERE state IN ('queued', 'verify') AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1`, db.now()))
		if err != nil {
			return err
		}
		if it.State == portal.OutboxVerify {
			return nil
		}
		it.State, it.Attempts = portal.OutboxSending, it.Attempts+1
		nowMS := db.nowMS()
		if it.FirstSent.IsZero() {
			it.FirstSent = unixMS(nowMS)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sending', attempts = ?, updated_at = ?,
			first_sent_ms = CASE WHEN first_sent_ms = 0 THEN ? ELSE first_sent_ms END WHERE id = ?`, it.Attempts, db.now(), nowMS, it.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO outbox_attempts(outbox_id, started_ms) VALUES (?, ?)`, it.ID, nowMS)
		return err
	})
	if err != nil {
		return nil, notFound(err, "nothing is due in the outbox")
	}
	return it, nil
}

// NextOutboxDue returns when the next queued or verify item is due (zero if none).
func (db *DB) NextOutboxDue(ctx context.Context) (time.Time, error) {
	next, err := one(ctx, db, `SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ('queued', 'verify')`, nil, scanValue[sql.NullInt64])
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return unix(next.Int64), nil
}

// SettleOutbox records the outcome of an attempt, a look-up or an admin's
// decision on item id, which must currently be in one of the from states,
// and applies it to the request the item delivers, in one transaction. It
// returns ECONFLICT when the item has moved on (someone else settled it).
func (db *DB) SettleOutbox(ctx context.Context, id int64, from []string, o portal.OutboxOutcome) (*portal.OutboxItem, error) {
	var it *portal.OutboxItem
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		it, err = scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id))
		if err != nil {
			return notFound(err, fmt.Sprintf("outbox item %d does not exist", id))
		}
		if !slices.Contains(from, it.State) {
			return portal.Errorf(portal.ECONFLICT, "outbox item %d is %s now, not %v; reload to see its state", id, it.State, from)
		}
		prev := it.State
		it.State, it.LastError, it.NextAttemptAt = o.State, o.Error, o.NextAttempt
		if o.Result != "" {
			it.Result = o.Result
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, last_error = ?, result = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
			it.State, it.LastError, it.Result, secs(o.NextAttempt), db.now(), id); err != nil {
			return err
		}
		if prev == portal.OutboxSending {
			// The attempt keeps what it read or got back, whatever came of it.
			if _, err := tx.ExecContext(ctx, `UPDATE outbox_attempts SET finished_ms = ?, outcome = ?, error = ?, result = ?
				WHERE id = (SELECT MAX(id) FROM outbox_attempts WHERE outbox_id = ?)`, db.nowMS(), o.State, o.Error, o.Result, id); err != nil {
				return err
			}
			if o.State == portal.OutboxVerify || o.State == portal.OutboxUncertain {
				it.UnknownAttempts++
				if _, err := tx.ExecContext(ctx, `UPDATE outbox SET unknown_attempts = ? WHERE id = ?`, it.UnknownAttempts, id); err != nil {
					return err
				}
			}
		}
		actor := o.Actor
		if actor == "" {
			actor = portal.SystemActor
		}
		reason := o.Reason
		if reason == "" {
			reason = o.Error
		}
		if err := db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: outboxSubject(id), From: prev, To: o.State, Reason: reason}); err != nil {
			return err
		}
		return db.settle(ctx, tx, *it, o)
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// RecoverOutbox handles items left in "sending" by a stopped process: their
// outcome is unknown, so they go to verify (to be looked up) if their kind
// can be looked up, else to uncertain for an admin.
func (db *DB) RecoverOutbox(ctx context.Context, canVerify func(kind string) bool) (int, error) {
	type stuck struct {
		id   int64
		kind string
	}
	items, err := all(ctx, db, `SELECT id, kind FROM outbox WHERE state = 'sending'`, nil, func(row rowScanner) (stuck, error) {
		var s stuck
		err := row.Scan(&s.id, &s.kind)
		return s, err
	})
	if err != nil {
		return 0, fmt.Errorf("cache: recover outbox: %w", err)
	}
	for _, s := range items {
		o := portal.OutboxOutcome{State: portal.OutboxUncertain, Error: "the portal stopped while this was being sent; it may or may not have reached the upstream"}
		if canVerify(s.kind) {
			o.State, o.NextAttempt = portal.OutboxVerify, db.Now()
		}
		if _, err := db.SettleOutbox(ctx, s.id, []string{portal.OutboxSending}, o); err != nil {
			return 0, err
		}
	}
	return len(items), nil
}

// ListOutbox returns items, newest first, and the total that match.
func (db *DB) ListOutbox(ctx context.Context, f portal.OutboxFilter) ([]portal.OutboxItem, int, error) {
	q := listQuery{cols: outboxCols, from: `outbox`, where: "1=1", order: "id DESC", limit: f.Limit, offset: f.Offset}
	if len(f.States) > 0 {
		q.where, q.args = "state IN ("+placeholders(len(f.States))+")", anys(f.States)
	}
	if q.limit <= 0 {
		q.limit = 50
	}
	out, total, err := list(ctx, db, q, scanOutboxItem)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list outbox: %w", err)
	}
	return out, int(total), nil
}

// OutboxItemByID returns one item.
func (db *DB) OutboxItemByID(ctx context.Context, id int64) (*portal.OutboxItem, error) {
	it, err := one(ctx, db, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, []any{id}, scanOutbox)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("outbox item %d does not exist", id))
	}
	return it, nil
}

// OutboxByRef returns the items that deliver ref, oldest first.
func (db *DB) OutboxByRef(ctx context.Context, ref string) ([]portal.OutboxItem, error) {
	out, err := all(ctx, db, `SELECT `+outboxCols+` FROM outbox WHERE ref = ? ORDER BY id`, []any{ref}, scanOutboxItem)
	if err != nil {
		return nil, fmt.Errorf("cache: outbox by ref: %w", err)
	}
	return out, nil
}

// OutboxAttempts lists an item's attempts, oldest first.
func (db *DB) OutboxAttempts(ctx context.Context, id int64) ([]portal.OutboxAttempt, error) {
	out, err := all(ctx, db, `SELECT started_ms, COALESCE(finished_ms, 0), outcome, error, result FROM outbox_attempts WHERE outbox_id = ? ORDER BY id`,
		[]any{id}, func(row rowScanner) (portal.OutboxAttempt, error) {
			var a portal.OutboxAttempt
			var s, f int64
			err := row.Scan(&s, &f, &a.Outcome, &a.Error, &a.Result)
			a.Started, a.Finished = unixMS(s), unixMS(f)
			return a, err
		})
	if err != nil {
		return nil, fmt.Errorf("cache: outbox attempts: %w", err)
	}
	return out, nil
}

// OutboxCounts returns how many items are in each state.
func (db *DB) OutboxCounts(ctx context.Context) (map[string]int, error) {
	out, err := db.readCounts(ctx, `SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("cache: outbox counts: %w", err)
	}
	return out, nil
}

func scanOutboxItem(row rowScanner) (portal.OutboxItem, error) {
	var it portal.OutboxItem
	var next, created, updated, firstSent int64
	if err := row.Scan(&it.ID, &it.Kind, &it.Upstream, &it.Ref, &it.Summary, &it.Payload, &it.State, &it.Attempts, &it.MaxAttempts,
		&next, &it.LastError, &it.Result, &it.CreatedBy, &created, &updated, &firstSent, &it.UnknownAttempts, &it.CreatedByName); err != nil {
		return it, err
	}
	it.NextAttemptAt, it.Created, it.Updated, it.FirstSent = unix(next), unix(created), unix(updated), unixMS(firstSent)
	return it, nil
}
