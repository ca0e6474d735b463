package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// GenerateRequest is an admin's request to generate a VergeOS billing
// record, with the state of its delivery.
type GenerateRequest struct {
	ID              int64
	RequestedBy     string // subject
	RequestedByName string
	RequestedAt     time.Time
	Note            string
	State           string // an outbox state
	OutboxID        int64
	// SentAt is when the last attempt started; SettledAt when the request
	// reached its state.
	SentAt, SettledAt time.Time
	// ActionKey is the billing_actions row VergeOS created (from its reply).
	ActionKey string
	Error     string
	// Attempts and NextAttempt come from the outbox item.
	Attempts    int
	NextAttempt time.Time
}

// Subject is the request's audit subject.
func (g GenerateRequest) Subject() string { return generateSubject(g.ID) }

func generateSubject(id int64) string { return "vergeos_generate:" + strconv.FormatInt(id, 10) }

// Pending reports whether the request is still on its way (not settled).
func (g GenerateRequest) Pending() bool {
	return g.State == portal.OutboxQueued || g.State == portal.OutboxSending || g.State == portal.OutboxVerify
}

// MaxGenerateNote bounds a request's note.
const MaxGenerateNote = 500

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
			WHERE o.state IN ('queued','sending','verify') ORDER BY r.id LIMIT 1`).Scan(&pending)
		if err == nil {
			return portal.Errorf(portal.ECONFLICT, "Request %d to generate a billing record is still on its way; wait until it is delivered.", pending)
		}
		if err != sql.ErrNoRows {
			return err
		}
		now := db.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO vergeos_generate_requests(requested_by, requested_by_name, requested_at, note, state, outbox_id, settled_at)
			VALUES (?, ?, ?, ?, 'queued', 0, ?) RETURNING id`, actor, actorName, now, note, now).Scan(&id); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"action": "generate", "request_id": id})
		oid, err := db.enqueue(ctx, tx, portal.OutboxItem{Kind: portal.KindVergeOSGenerate, Upstream: portal.UpstreamVergeOS, Ref: generateSubject(id),
			Summary: "Generate a VergeOS billing record (request " + strconv.FormatInt(id, 10) + ")", Payload: string(payload), CreatedBy: actor})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE vergeos_generate_requests SET outbox_id = ? WHERE id = ?`, oid, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: generateSubject(id), To: portal.OutboxQueued, Reason: note})
	})
	if err != nil {
		return 0, fmt.Errorf("cache: request billing generate: %w", err)
	}
	return id, nil
}

// SettleGenerateRequest applies an outbox state change to its request, in the
// transaction that records it.
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
	var reply struct {
		Key string `json:"key"`
	}
	json.Unmarshal([]byte(it.Result), &reply) // best effort: the key is shown, not relied on
	_, err = tx.ExecContext(ctx, `UPDATE vergeos_generate_requests SET state = ?, error = ?, settled_at = ?,
		action_key = CASE WHEN ? <> '' THEN ? ELSE action_key END,
		sent_at = COALESCE((SELECT started_ms / 1000 FROM outbox_attempts WHERE outbox_id = ? ORDER BY id DESC LIMIT 1), sent_at)
		WHERE id = ?`, o.State, o.Error, db.now(), reply.Key, reply.Key, it.ID, id)
	if err != nil {
		return fmt.Errorf("cache: settle generate request: %w", err)
	}
	if prev == o.State && o.Error == "" {
		return nil
	}
	reason := o.Reason
	if reason == "" {
		reason = o.Error
	}
	actor := o.Actor
	if actor == "" {
		actor = portal.SystemActor
	}
	return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: generateSubject(id), From: prev, To: o.State, Reason: reason})
}

// generateCols reads the state from the outbox row when there is one: it
// also knows "sending" (claiming an item settles nothing) and an admin's
// "send again", which the request row learns of only at the next settlement.
const generateCols = `r.id, r.requested_by, r.requested_by_name, r.requested_at, r.note, COALESCE(o.state, r.state), r.outbox_id,
	r.sent_at, r.settled_at, r.action_key, r.error, COALESCE(o.attempts, 0), COALESCE(o.next_attempt_at, 0)`

func scanGenerate(row rowScanner) (GenerateRequest, error) {
	var g GenerateRequest
	var at, sent, settled, next int64
	err := row.Scan(&g.ID, &g.RequestedBy, &g.RequestedByName, &at, &g.Note, &g.State, &g.OutboxID,
		&sent, &settled, &g.ActionKey, &g.Error, &g.Attempts, &next)
	g.RequestedAt, g.SentAt, g.SettledAt, g.NextAttempt = unix(at), unix(sent), unix(settled), unix(next)
	return g, err
}

// GenerateRequestSorts maps the requests table's sort keys to SQL.
var GenerateRequestSorts = map[string]string{"id": "r.id", "state": "COALESCE(o.state, r.state)", "settled": "r.settled_at"}

// GenerateRequestFilter pages the generate requests.
type GenerateRequestFilter struct {
	Sort          string // a key of GenerateRequestSorts ("" means id)
	Desc          bool
	Limit, Offset int // Limit 0 means all
}

// GenerateRequests returns a page of the requests and how many there are.
func (db *DB) GenerateRequests(ctx context.Context, f GenerateRequestFilter) ([]GenerateRequest, int64, error) {
	expr, ok := GenerateRequestSorts[f.Sort]
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
func (db *DB) GenerateRequestByID(ctx context.Context, id int64) (GenerateRequest, error) {
	g, err := one(ctx, db, `SELECT `+generateCols+` FROM vergeos_generate_requests r
		LEFT JOIN outbox o ON o.id = r.outbox_id WHERE r.id = ?`, []any{id}, scanGenerate)
	if err != nil {
		return g, notFound(err, fmt.Sprintf("There is no request %d to generate a billing record.", id))
	}
	return g, nil
}
