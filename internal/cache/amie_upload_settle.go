package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// SettleUsageChunk applies a request's new outbox state to its upload, in
// the transaction that records the state: the request's records get their
// outcome, the upload's counters and state are recomputed from its records
// and requests (so an admin's "send again" is picked up by the next
// settle), and the upload's history says what happened.
func (db *DB) SettleUsageChunk(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	var p usage.ChunkPayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return fmt.Errorf("cache: usage request %d: payload: %w", it.ID, err)
	}
	detail, err := applyChunkOutcome(ctx, tx, p, o)
	if err != nil {
		return fmt.Errorf("cache: settle usage request %d: %w", it.ID, err)
	}
	var prev string
	var chunks int
	if err := tx.QueryRowContext(ctx, `SELECT state, chunks FROM usage_uploads WHERE id = ?`, p.Upload).Scan(&prev, &chunks); err != nil {
		return notFound(err, fmt.Sprintf("usage upload %d does not exist", p.Upload))
	}
	state, err := db.refreshUpload(ctx, tx, p.Upload)
	if err != nil {
		return err
	}
	from := prev
	if state == prev {
		from = ""
	}
	actor := o.Actor
	if actor == "" {
		actor = portal.SystemActor
	}
	if err := db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: usage.UploadRef(p.Upload), From: from, To: state,
		Reason: usage.ChunkReason(p, chunks, o.State, detail)}); err != nil {
		return err
	}
	return db.noteUpload(ctx, tx, p.Upload, prev, state)
}

// applyChunkOutcome sets the outcome of the request's open records, as
// usage.RecordsAfter says, and returns a line for the history.
func applyChunkOutcome(ctx context.Context, tx *sql.Tx, p usage.ChunkPayload, o portal.OutboxOutcome) (string, error) {
	c, err := usage.RecordsAfter(o)
	if err != nil {
		return "", err
	}
	open := `upload_id = ? AND seq >= ? AND seq < ? AND outcome IN (` + placeholders(len(usage.OpenOutcomes)) + `)`
	args := append([]any{p.Upload, p.First, p.First + p.Count}, anys(usage.OpenOutcomes)...)
	for _, r := range c.Refused {
		if _, err := tx.ExecContext(ctx, `UPDATE usage_upload_records SET outcome = ?, error = ? WHERE `+open+` AND resource = ? AND local_record_id = ?`,
			append(append([]any{usage.RecordRefused, r.Error}, args...), r.Resource, r.LocalRecordID)...); err != nil {
			return "", err
		}
	}
	if c.To != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE usage_upload_records SET outcome = ?, error = ? WHERE `+open, append([]any{c.To, c.Error}, args...)...); err != nil {
			return "", err
		}
	}
	return c.Detail, nil
}

// refreshUpload recomputes an upload's counters and state and returns the state.
func (db *DB) refreshUpload(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	outcomes := map[string]int{}
	rows, err := tx.QueryContext(ctx, `SELECT outcome, COUNT(*) FROM usage_upload_records WHERE upload_id = ? GROUP BY outcome`, id)
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return "", err
		}
		outcomes[k] = n
	}
	rows.Close()
	states, err := amieOutboxStates(ctx, tx, usage.UploadRef(id))
	if err != nil {
		return "", err
	}
	state := usage.UploadState(states)
	accepted, refused, notSent := usage.UploadCounts(outcomes)
	_, err = tx.ExecContext(ctx, `UPDATE usage_uploads SET state = ?, chunks_delivered = ?, accepted = ?, refused = ?, not_sent = ?, updated_at = ? WHERE id = ?`,
		state, states[portal.OutboxDelivered], accepted, refused, notSent, db.now(), id)
	return state, err
}

// amieOutboxStates counts the outbox items of ref per state.
func amieOutboxStates(ctx context.Context, q querier, ref string) (map[string]int, error) {
	return countByState(ctx, q, `SELECT state, COUNT(*) FROM outbox WHERE ref = ? GROUP BY state`, ref)
}

// UsageChunkKeys returns the keys of the records of upload id with Seq in
// [first, first+count) (one request's), in order: what a look-up after an
// unknown outcome searches for.
func (db *DB) UsageChunkKeys(ctx context.Context, id int64, first, count int) ([]usage.RecordKey, error) {
	out, err := all(ctx, db, `SELECT resource, local_record_id FROM usage_upload_records WHERE upload_id = ? AND seq >= ? AND seq < ? ORDER BY seq`,
		[]any{id, first, first + count}, func(row rowScanner) (usage.RecordKey, error) {
			var k usage.RecordKey
			err := row.Scan(&k.Resource, &k.LocalRecordID)
			return k, err
		})
	if err != nil {
		return nil, fmt.Errorf("cache: usage request keys: %w", err)
	}
	return out, nil
}
