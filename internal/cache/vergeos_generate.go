package cache

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
)

// generatePendingStates are the outbox states of a request on its way
// (billing.Pending), as SQL.
const generatePendingStates = `('queued','sending','verify')`

// RequestBillingGenerate records an admin's request to generate a billing
// record and its outbox item in one transaction, and returns the request's
// id. It refuses (ECONFLICT) while an earlier request is still on its
// way, so a double click does not generate two records.
func (db *DB) RequestBillingGenerate(ctx context.Context, actor, actorName, note string) (int64, error) {
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		var pending int64
		// The outbox row is the truth about delivery: an item an admin sent
		// again is queued there before its request row hears of it.
		err := tx.QueryRowContext(ctx, `SELECT r.id FROM vergeos_generate_requests r JOIN outbox o ON o.id = r.outbox_id
			WHERE o.state IN `+generatePendingStates+` ORDER BY r.id LIMIT 1`).Scan(&pending)
		if err == nil {
			return billing.OnItsWay(pending)
		}
		if err != sql.ErrNoRows {
			return err
		}
		now := db.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO vergeos_generate_requests(requested_by, requested_by_name, requested_at, note, state, outbox_id, settled_at)
			VALUES (?, ?, ?, ?, 'queued', 0, ?) RETURNING id`, actor, actorName, now, note, now).Scan(&id); err != nil {
			return err
		}
		oid, err := db.enqueue(ctx, tx, billing.GenerateItem(id, actor, actorName))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE vergeos_generate_requests SET outbox_id = ? WHERE id = ?`, oid, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: billing.GenerateRef(id), To: portal.OutboxQueued, Reason: note})
	})
	if err != nil {
		return 0, fmt.Errorf("cache: request billing generate: %w", err)
	}
	return id, nil
}

// SettleGenerateRequest applies an outbox state change to its request, in the
// transaction that records it: it loads the request's state, asks
// billing.Settle what the request becomes, and writes that.
func (db *DB) SettleGenerateRequest(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	var id int64
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT id, state FROM vergeos_generate_requests WHERE outbox_id = ?`, it.ID).Scan(&id, &prev)
	if err == sql.ErrNoRows {
		return nil // an item queued by hand, without a request row
	}
	if err != nil {
		return fmt.Errorf("cache: settle generate request: %w", err)
	}
	s := billing.Settle(id, prev, it.Result, o)
	_, err = tx.ExecContext(ctx, `UPDATE vergeos_generate_requests SET state = ?, error = ?, settled_at = ?,
		action_key = CASE WHEN ? <> '' THEN ? ELSE action_key END,
		sent_at = COALESCE((SELECT started_ms / 1000 FROM outbox_attempts WHERE outbox_id = ? ORDER BY id DESC LIMIT 1), sent_at)
		WHERE id = ?`, s.State, s.Error, db.now(), s.ActionKey, s.ActionKey, it.ID, id)
	if err != nil {
		return fmt.Errorf("cache: settle generate request: %w", err)
	}
	if s.History == nil {
		return nil
	}
	return db.audit(ctx, tx, *s.History)
}

// generateCols reads the state from the outbox row when there is one: it
// also knows "sending" (claiming an item settles nothing) and an admin's
// "send again", which the request row learns of only at the next settlement.
const generateCols = `r.id, r.requested_by, r.requested_by_name, r.requested_at, r.note, COALESCE(o.state, r.state), r.outbox_id,
	r.sent_at, r.settled_at, r.action_key, r.error, COALESCE(o.attempts, 0), COALESCE(o.next_attempt_at, 0)`

func scanGenerate(row rowScanner) (billing.GenerateRequest, error) {
	var g billing.GenerateRequest
	var at, sent, settled, next int64
	err := row.Scan(&g.ID, &g.RequestedBy, &g.RequestedByName, &at, &g.Note, &g.State, &g.OutboxID,
		&sent, &settled, &g.ActionKey, &g.Error, &g.Attempts, &next)
	g.RequestedAt, g.SentAt, g.SettledAt, g.NextAttempt = unix(at), unix(sent), unix(settled), unix(next)
	return g, err
}

// generateSortColumns are the columns of billing.GenerateRequestSorts.
var generateSortColumns = map[string]string{"id": "r.id", "state": "COALESCE(o.state, r.state)", "settled": "r.settled_at"}

// GenerateRequests returns a page of the requests and how many there are.
func (db *DB) GenerateRequests(ctx context.Context, f billing.GenerateRequestFilter) ([]billing.GenerateRequest, int64, error) {
	expr, ok := generateSortColumns[f.Sort]
	if f.Sort == "" {
		expr, ok = "r.id", true
	}
	if !ok {
		return nil, 0, portal.Errorf(portal.EINVALID, "sort: %q is not a column of the generate requests", f.Sort)
	}
	q := listQuery{cols: generateCols, from: `vergeos_generate_requests r LEFT JOIN outbox o ON o.id = r.outbox_id`,
		countFrom: `vergeos_generate_requests r`, where: "1=1", order: expr + dir(f.Desc) + `, r.id` + dir(f.Desc), limit: f.Limit, offset: f.Offset}
	out, total, err := list(ctx, db, q, scanGenerate)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: generate requests: %w", err)
	}
	return out, total, nil
}

// GenerateRequestByID returns one request, or ENOTFOUND.
func (db *DB) GenerateRequestByID(ctx context.Context, id int64) (billing.GenerateRequest, error) {
	g, err := one(ctx, db, `SELECT `+generateCols+` FROM vergeos_generate_requests r
		LEFT JOIN outbox o ON o.id = r.outbox_id WHERE r.id = ?`, []any{id}, scanGenerate)
	if err != nil {
		return g, notFound(err, fmt.Sprintf("There is no request %d to generate a billing record.", id))
	}
	return g, nil
}
