package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/accounting-portal/portal/internal/usage"
)

const usageUploadCols = `id, usage_type, filename, records, total_charge, projects, chunks, chunks_delivered, accepted, refused, not_sent,
	state, created_by, created_by_name, created_at, updated_at`

func scanUsageUpload(row rowScanner) (*usage.Upload, error) {
	var u usage.Upload
	var projects string
	var created, updated int64
	if err := row.Scan(&u.ID, &u.UsageType, &u.Filename, &u.Records, &u.TotalCharge, &projects, &u.Chunks, &u.ChunksDelivered,
		&u.Accepted, &u.Refused, &u.NotSent, &u.State, &u.CreatedBy, &u.CreatedByName, &created, &updated); err != nil {
		return nil, err
	}
	if projects != "" {
		u.Projects = strings.Split(projects, ",")
	}
	u.Created, u.Updated = unix(created), unix(updated)
	return &u, nil
}

// UsageUploadByID returns one upload.
func (db *DB) UsageUploadByID(ctx context.Context, id int64) (*usage.Upload, error) {
	u, err := one(ctx, db, `SELECT `+usageUploadCols+` FROM usage_uploads WHERE id = ?`, []any{id}, scanUsageUpload)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("There is no upload %d.", id))
	}
	return u, nil
}

// uploadSortColumns are the columns of usage.UploadSorts.
var uploadSortColumns = map[string]string{"id": "id", "records": "records", "state": "state", "type": "usage_type", "file": "filename", "by": "created_by_name"}

// uploadWhere is the condition of the uploads f selects.
func uploadWhere(f usage.UploadFilter) (string, []any) {
	w, args := "1=1", []any{}
	if f.CreatedBy != "" {
		w += " AND created_by = ?"
		args = append(args, f.CreatedBy)
	}
	if f.State != "" {
		w += " AND state = ?"
		args = append(args, f.State)
	}
	return w, args
}

func uploadOrder(f usage.UploadFilter) string {
	col, ok := uploadSortColumns[f.Sort]
	if !ok {
		col, f.Desc = "id", true
	}
	return col + dir(f.Desc) + ", id DESC"
}

// ListUsageUploads returns one page of uploads and how many match.
func (db *DB) ListUsageUploads(ctx context.Context, f usage.UploadFilter) ([]usage.Upload, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	out, total, err := list(ctx, db, uploadQuery(f), scanUsageUploadValue)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list uploads: %w", err)
	}
	return out, total, nil
}

// EachUsageUpload calls fn for every matching upload in the table's order.
func (db *DB) EachUsageUpload(ctx context.Context, f usage.UploadFilter, fn func(usage.Upload) error) error {
	f.Limit, f.Offset = 0, 0
	if err := each(ctx, db, uploadQuery(f), scanUsageUploadValue, fn); err != nil {
		return fmt.Errorf("cache: uploads: %w", err)
	}
	return nil
}

// UploadProgress counts an upload's requests per outbox state.
func (db *DB) UploadProgress(ctx context.Context, id int64) (map[string]int, error) {
	var m map[string]int
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = amieOutboxStates(ctx, tx, usage.UploadRef(id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: upload progress: %w", err)
	}
	return m, nil
}

// uploadRecordSortColumns are the columns of usage.UploadRecordSorts.
var uploadRecordSortColumns = map[string]string{"line": "r.seq", "record": "r.local_record_id", "resource": "r.resource",
	"project": "r.local_project_id", "user": "r.username", "start": "r.start_time", "charge": "CAST(r.charge AS REAL)", "outcome": "r.outcome"}

// usageProcessingError finds a record's current processing failure upstream.
const usageProcessingError = `(SELECT af.error FROM amie_failed af WHERE af.resource = r.resource AND af.local_record_id = r.local_record_id
	AND af.usage_type = ? ORDER BY af.failed_id DESC LIMIT 1)`

// uploadRecordWhere is the condition of the records f selects.
func uploadRecordWhere(f usage.UploadRecordFilter) (string, []any) {
	w, args := "r.upload_id = ?", []any{f.Upload}
	switch f.Outcome {
	case "":
	case usage.RecordOutcomeFailedProcessing:
		w += " AND r.outcome = 'accepted' AND " + usageProcessingError + " IS NOT NULL"
		args = append(args, f.UsageType)
	default:
		w += " AND r.outcome = ?"
		args = append(args, f.Outcome)
	}
	return w, args
}

func scanUsageUploadRecord(rows rowScanner) (usage.UploadRecord, error) {
	var r usage.UploadRecord
	var start, end int64
	err := rows.Scan(&r.Seq, &r.Line, &r.Chunk, &r.LocalRecordID, &r.Resource, &r.LocalProjectID, &r.Username, &start, &end,
		&r.Charge, &r.Outcome, &r.Error, &r.Processing)
	r.Start, r.End = unix(start), unix(end)
	return r, err
}

// ListUploadRecords returns one page of an upload's records and how many match.
func (db *DB) ListUploadRecords(ctx context.Context, f usage.UploadRecordFilter) ([]usage.UploadRecord, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	out, total, err := list(ctx, db, uploadRecordQuery(f), scanUsageUploadRecord)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: upload records: %w", err)
	}
	return out, total, nil
}

// EachUploadRecord calls fn for every matching record in the table's order.
func (db *DB) EachUploadRecord(ctx context.Context, f usage.UploadRecordFilter, fn func(usage.UploadRecord) error) error {
	f.Limit, f.Offset = 0, 0
	if err := each(ctx, db, uploadRecordQuery(f), scanUsageUploadRecord, fn); err != nil {
		return fmt.Errorf("cache: upload records: %w", err)
	}
	return nil
}

// UploadRefusals counts an upload's refused records per reason, most first.
func (db *DB) UploadRefusals(ctx context.Context, id int64) ([]usage.FailedGroup, error) {
	out, err := all(ctx, db, `SELECT error, COUNT(*) FROM usage_upload_records WHERE upload_id = ? AND outcome = 'refused'
		GROUP BY error ORDER BY 2 DESC, 1`, []any{id}, func(row rowScanner) (usage.FailedGroup, error) {
		var g usage.FailedGroup
		err := row.Scan(&g.Error, &g.Records)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: upload refusals: %w", err)
	}
	return out, nil
}

// UploadProcessingFailures counts an upload's accepted records that are
// listed among the failed records.
func (db *DB) UploadProcessingFailures(ctx context.Context, id int64, usageType string) (int64, error) {
	n, err := one(ctx, db, `SELECT COUNT(DISTINCT r.seq) FROM usage_upload_records r JOIN amie_failed af
		ON af.resource = r.resource AND af.local_record_id = r.local_record_id AND af.usage_type = ?
		WHERE r.upload_id = ? AND r.outcome = 'accepted'`, []any{usageType, id}, scanValue[int64])
	if err != nil {
		return 0, fmt.Errorf("cache: upload processing failures: %w", err)
	}
	return n, nil
}

// uploadQuery is the list of uploads f selects.
func uploadQuery(f usage.UploadFilter) listQuery {
	w, args := uploadWhere(f)
	return listQuery{cols: usageUploadCols, from: `usage_uploads`, where: w, args: args, order: uploadOrder(f), limit: f.Limit, offset: f.Offset}
}

func scanUsageUploadValue(row rowScanner) (usage.Upload, error) {
	u, err := scanUsageUpload(row)
	if err != nil {
		return usage.Upload{}, err
	}
	return *u, nil
}

// uploadRecordQuery is the list of an upload's records f selects.
func uploadRecordQuery(f usage.UploadRecordFilter) listQuery {
	w, args := uploadRecordWhere(f)
	col, ok := uploadRecordSortColumns[f.Sort]
	if !ok {
		col = "r.seq"
	}
	order := col + dir(f.Desc)
	if col != "r.seq" {
		order += `, r.seq ASC`
	}
	return listQuery{cols: `r.seq, r.line, r.chunk, r.local_record_id, r.resource, r.local_project_id, r.username, r.start_time, r.end_time,
		r.charge, r.outcome, r.error, COALESCE(` + usageProcessingError + `, '')`, colsArgs: []any{f.UsageType},
		from: `usage_upload_records r`, where: w, args: args, order: order, limit: f.Limit, offset: f.Offset}
}
