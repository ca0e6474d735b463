package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/accounting-portal/portal/internal/portal"
)

// SettleUsageChunk applies a request's new outbox state to its upload, in
// the transaction that records the state: the request's records get their
// outcome, the upload's counters and state are recomputed from its records
// and requests (so an admin's "send again" is picked up by the next
// settle), and the upload's history says what happened.
func (db *DB) SettleUsageChunk(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	var p UsageChunkPayload
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
	reason := fmt.Sprintf("request %d of %d (records %d–%d) %s", p.Chunk+1, chunks, p.First+1, p.First+p.Count, o.State)
	if detail != "" {
		reason += ": " + detail
	}
	return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: usageUploadSubject(p.Upload), From: from, To: state, Reason: reason})
}

// applyChunkOutcome sets the outcome of the request's records and returns
// a line for the history.
func applyChunkOutcome(ctx context.Context, tx *sql.Tx, p UsageChunkPayload, o portal.OutboxOutcome) (string, error) {
	inChunk := `upload_id = ? AND seq >= ? AND seq < ?`
	args := []any{p.Upload, p.First, p.First + p.Count}
	// Records not yet settled, or settled as not sent by an attempt an
	// admin has since sent again.
	open := ` AND outcome IN ('pending', 'not sent')`
	switch o.State {
	case portal.OutboxDelivered:
		if o.Result == "" {
			// An admin said it arrived; there is no per-record answer.
			_, err := tx.ExecContext(ctx, `UPDATE usage_upload_records SET outcome = ?, error = '' WHERE `+inChunk+open, append([]any{RecordSent}, args...)...)
			return o.Reason, err
		}
		var res UsageChunkResult
		if err := json.Unmarshal([]byte(o.Result), &res); err != nil {
			return "", fmt.Errorf("result: %w", err)
		}
		for _, r := range res.Refused {
			if _, err := tx.ExecContext(ctx, `UPDATE usage_upload_records SET outcome = ?, error = ? WHERE `+inChunk+open+` AND resource = ? AND local_record_id = ?`,
				append(append([]any{RecordRefused, r.Error}, args...), r.Resource, r.LocalRecordID)...); err != nil {
				return "", err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE usage_upload_records SET outcome = ?, error = '' WHERE `+inChunk+open, append([]any{RecordAccepted}, args...)...)
		detail := res.Message
		if n := len(res.Refused); n > 0 {
			detail += fmt.Sprintf(" (%d refused)", n)
		}
		return detail, err
	case portal.OutboxFailed, portal.OutboxDead:
		_, err := tx.ExecContext(ctx, `UPDATE usage_upload_records SET outcome = ?, error = ? WHERE `+inChunk+open, append([]any{RecordNotSent, o.Error}, args...)...)
		return o.Error, err
	}
	return o.Error, nil
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
	states, err := amieOutboxStates(ctx, tx, usageUploadSubject(id))
	if err != nil {
		return "", err
	}
	state := usageUploadState(states)
	_, err = tx.ExecContext(ctx, `UPDATE usage_uploads SET state = ?, chunks_delivered = ?, accepted = ?, refused = ?, not_sent = ?, updated_at = ? WHERE id = ?`,
		state, states[portal.OutboxDelivered], outcomes[RecordAccepted]+outcomes[RecordSent], outcomes[RecordRefused], outcomes[RecordNotSent], db.now(), id)
	return state, err
}

// amieOutboxStates counts the outbox items of ref per state.
func amieOutboxStates(ctx context.Context, q querier, ref string) (map[string]int, error) {
	return countByState(ctx, q, `SELECT state, COUNT(*) FROM outbox WHERE ref = ? GROUP BY state`, ref)
}

// usageUploadState derives an upload's state from its requests' states.
func usageUploadState(states map[string]int) string {
	inFlight := states[portal.OutboxQueued] + states[portal.OutboxSending] + states[portal.OutboxVerify]
	total := 0
	for _, n := range states {
		total += n
	}
	switch {
	case total > 0 && states[portal.OutboxDelivered] == total:
		return UploadDelivered
	case inFlight > 0 && inFlight == states[portal.OutboxQueued] && total == inFlight:
		return UploadQueued
	case inFlight > 0:
		return UploadSending
	case states[portal.OutboxFailed]+states[portal.OutboxDead] > 0:
		return UploadFailed
	case states[portal.OutboxUncertain] > 0:
		return UploadUncertain
	}
	return UploadQueued
}

// UploadStateText explains an upload state to people.
func UploadStateText(state string) string {
	return map[string]string{
		UploadQueued:    "waiting to be sent",
		UploadSending:   "being sent",
		UploadDelivered: "every request delivered",
		UploadFailed:    "some requests were refused or given up",
		UploadUncertain: "some requests may or may not have arrived; an admin decides",
	}[state]
}

// UsageRecordKey is how AMIE keys a record: its resource and LocalRecordID
// (within the upload's usage type).
type UsageRecordKey struct {
	Resource, LocalRecordID string
}

// UsageChunkKeys returns the keys of the records of upload id with Seq in
// [first, first+count) (one request's), in order: what a look-up after an
// unknown outcome searches for.
func (db *DB) UsageChunkKeys(ctx context.Context, id int64, first, count int) ([]UsageRecordKey, error) {
	out, err := all(ctx, db, `SELECT resource, local_record_id FROM usage_upload_records WHERE upload_id = ? AND seq >= ? AND seq < ? ORDER BY seq`,
		[]any{id, first, first + count}, func(row rowScanner) (UsageRecordKey, error) {
			var k UsageRecordKey
			err := row.Scan(&k.Resource, &k.LocalRecordID)
			return k, err
		})
	if err != nil {
		return nil, fmt.Errorf("cache: usage request keys: %w", err)
	}
	return out, nil
}
