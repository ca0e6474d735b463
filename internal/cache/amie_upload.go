package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// uploadWriter adds an upload's planned requests inside its transaction;
// it is the usage.Writer CreateUsageUpload gives its fill function.
type uploadWriter struct {
	db     *DB
	ctx    context.Context
	tx     *sql.Tx
	upload *usage.Upload
	chunks int
	next   int // the Seq the next record must have
}

// usageRecordBatch is how many records one multi-row insert carries (12 values each).
const usageRecordBatch = 200

// Add stores one planned request and its records (recs[i].Seq must run
// from chunk.First on, with no gap since the previous request) and queues
// the request in the outbox.
func (w *uploadWriter) Add(chunk usage.Chunk, recs []usage.Record) error {
	if chunk.Index != w.chunks || chunk.First != w.next || chunk.Count != len(recs) || chunk.Count == 0 {
		return fmt.Errorf("cache: upload request %d (records %d+%d) does not follow request %d (next record %d)",
			chunk.Index, chunk.First, chunk.Count, w.chunks-1, w.next)
	}
	for i := 0; i < len(recs); i += usageRecordBatch {
		part := recs[i:min(i+usageRecordBatch, len(recs))]
		args := make([]any, 0, len(part)*11)
		for j := range part {
			r := &part[j]
			if r.Seq != chunk.First+i+j {
				return fmt.Errorf("cache: upload record %d is out of order (want %d)", r.Seq, chunk.First+i+j)
			}
			args = append(args, w.upload.ID, r.Seq, r.Line, chunk.Index, r.LocalRecordID, r.Resource, r.LocalProjectID, r.Username,
				secs(r.When()), secs(r.EndTime), r.Charge)
		}
		q := `INSERT INTO usage_upload_records(upload_id, seq, line, chunk, local_record_id, resource, local_project_id, username,
			start_time, end_time, charge) VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?),", len(part)), ",")
		if _, err := w.tx.ExecContext(w.ctx, q, args...); err != nil {
			return fmt.Errorf("cache: store upload records: %w", err)
		}
	}
	payload, err := json.Marshal(usage.ChunkPayload{Upload: w.upload.ID, Chunk: chunk.Index, First: chunk.First, Count: chunk.Count, UsageType: w.upload.UsageType})
	if err != nil {
		return err
	}
	oid, err := w.db.enqueue(w.ctx, w.tx, portal.OutboxItem{Kind: portal.KindAMIEUsage, Upstream: portal.UpstreamAMIE,
		Ref: usage.UploadRef(w.upload.ID), Payload: string(payload), CreatedBy: w.upload.CreatedBy, CreatedByName: w.upload.CreatedByName,
		Summary: fmt.Sprintf("AMIE usage upload %d: %s records %d–%d", w.upload.ID, w.upload.UsageType, chunk.First+1, chunk.First+chunk.Count)})
	if err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO usage_upload_chunks(upload_id, chunk, first_seq, count, outbox_id, body) VALUES (?, ?, ?, ?, ?, ?)`,
		w.upload.ID, chunk.Index, chunk.First, chunk.Count, oid, chunk.Body); err != nil {
		return fmt.Errorf("cache: store upload request: %w", err)
	}
	w.chunks++
	w.next += chunk.Count
	return nil
}

// CreateUsageUpload stores an upload in one transaction: the upload row,
// then whatever fill adds through the writer (its records and planned
// requests, each request an outbox item). If fill fails nothing is stored.
// u.Records must be the number of records fill adds.
func (db *DB) CreateUsageUpload(ctx context.Context, u usage.Upload, fill func(w usage.Writer) error) (int64, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.now()
		u.State = usage.UploadQueued
		if err := tx.QueryRowContext(ctx, `INSERT INTO usage_uploads(usage_type, filename, records, total_charge, projects, state,
			created_by, created_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			u.UsageType, u.Filename, u.Records, u.TotalCharge, strings.Join(u.Projects, ","), u.State, u.CreatedBy, u.CreatedByName, now, now).Scan(&u.ID); err != nil {
			return err
		}
		w := &uploadWriter{db: db, ctx: ctx, tx: tx, upload: &u}
		if err := fill(w); err != nil {
			return err
		}
		if w.next != u.Records || w.chunks == 0 {
			return fmt.Errorf("cache: upload of %d records stored %d in %d requests", u.Records, w.next, w.chunks)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE usage_uploads SET chunks = ? WHERE id = ?`, w.chunks, u.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: u.CreatedBy, ActorName: u.CreatedByName, Subject: usage.UploadRef(u.ID), To: usage.UploadQueued,
			Reason: fmt.Sprintf("%s records uploaded from %s: %d records in %d requests", u.UsageType, u.Filename, u.Records, w.chunks)})
	})
	if err != nil {
		return 0, fmt.Errorf("cache: create usage upload: %w", err)
	}
	return u.ID, nil
}

// UsageChunk returns request chunk of upload id.
func (db *DB) UsageChunk(ctx context.Context, id int64, chunk int) (*usage.ChunkData, error) {
	d := &usage.ChunkData{Chunk: chunk}
	err := db.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT u.usage_type, u.chunks, c.first_seq, c.count, c.body
		FROM usage_upload_chunks c JOIN usage_uploads u ON u.id = c.upload_id WHERE c.upload_id = ? AND c.chunk = ?`, id, chunk).
			Scan(&d.UsageType, &d.Chunks, &d.First, &d.Count, &d.Body)
	})
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("upload %d has no request %d", id, chunk))
	}
	return d, nil
}
