package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

const usageUploadCols = `id, usage_type, filename, records, total_charge, projects, chunks, chunks_delivered, accepted, refused, not_sent,
	state, created_by, created_by_name, created_at, updated_at`

func scanUsageUpload(row interface{ Scan(...any) error }) (*UsageUpload, error) {
	var u UsageUpload
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
func (db *DB) UsageUploadByID(ctx context.Context, id int64) (*UsageUpload, error) {
	u, err := scanUsageUpload(db.r.QueryRowContext(ctx, `SELECT `+usageUploadCols+` FROM usage_uploads WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("There is no upload %d.", id))
	}
	return u, nil
}

// UploadFilter selects uploads: those of one person, or everyone's.
type UploadFilter struct {
	// CreatedBy is the uploader's subject; "" means every upload (admins).
	CreatedBy     string
	State         string
	Sort          string // one of UploadSorts
	Desc          bool
	Limit, Offset int
}

var usageUploadOrder = map[string]string{"id": "id", "records": "records", "state": "state", "type": "usage_type", "file": "filename", "by": "created_by_name"}

// UploadSorts lists the sort keys of the uploads table.
func UploadSorts() []string { return amieSortKeys(usageUploadOrder) }

func (f UploadFilter) where() (string, []any) {
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

func (f UploadFilter) orderBy() string {
	col, ok := usageUploadOrder[f.Sort]
	if !ok {
		col, f.Desc = "id", true
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	return " ORDER BY " + col + dir + ", id DESC"
}

// ListUsageUploads returns one page of uploads and how many match.
func (db *DB) ListUsageUploads(ctx context.Context, f UploadFilter) ([]UsageUpload, int64, error) {
	w, args := f.where()
	var out []UsageUpload
	var total int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_uploads WHERE `+w, args...).Scan(&total); err != nil {
			return err
		}
		limit := f.Limit
		if limit <= 0 {
			limit = 50
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+usageUploadCols+` FROM usage_uploads WHERE `+w+f.orderBy()+` LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUsageUpload(rows)
			if err != nil {
				return err
			}
			out = append(out, *u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list uploads: %w", err)
	}
	return out, total, nil
}

// EachUsageUpload calls fn for every matching upload in the table's order.
func (db *DB) EachUsageUpload(ctx context.Context, f UploadFilter, fn func(UsageUpload) error) error {
	w, args := f.where()
	rows, err := db.r.QueryContext(ctx, `SELECT `+usageUploadCols+` FROM usage_uploads WHERE `+w+f.orderBy(), args...)
	if err != nil {
		return fmt.Errorf("cache: uploads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUsageUpload(rows)
		if err != nil {
			return fmt.Errorf("cache: uploads: %w", err)
		}
		if err := fn(*u); err != nil {
			return err
		}
	}
	return rows.Err()
}

// UploadProgress counts an upload's requests per outbox state.
func (db *DB) UploadProgress(ctx context.Context, id int64) (map[string]int, error) {
	m, err := amieOutboxStates(ctx, db.r, usageUploadSubject(id))
	if err != nil {
		return nil, fmt.Errorf("cache: upload progress: %w", err)
	}
	return m, nil
}

// UploadRecord is an uploaded record with its outcome.
type UploadRecord struct {
	Seq, Line, Chunk                                  int
	LocalRecordID, Resource, LocalProjectID, Username string
	Start, End                                        time.Time
	Charge                                            string
	Outcome, Error                                    string
	// Processing is the upstream's error when the record later failed
	// processing and is listed among the failed records ("" otherwise).
	Processing string
}

// RecordOutcomeFailedProcessing filters records that were accepted but
// are listed among the failed records.
const RecordOutcomeFailedProcessing = "failed processing"

// UploadRecordFilter selects an upload's records.
type UploadRecordFilter struct {
	Upload        int64
	UsageType     string
	Outcome       string // a Record* outcome or RecordOutcomeFailedProcessing; "" means all
	Sort          string // one of UploadRecordSorts
	Desc          bool
	Limit, Offset int
}

var usageUploadRecordOrder = map[string]string{"line": "r.seq", "record": "r.local_record_id", "resource": "r.resource",
	"project": "r.local_project_id", "user": "r.username", "start": "r.start_time", "charge": "CAST(r.charge AS REAL)", "outcome": "r.outcome"}

// UploadRecordSorts lists the sort keys of an upload's records table.
func UploadRecordSorts() []string { return amieSortKeys(usageUploadRecordOrder) }

// usageProcessingError finds a record's current processing failure upstream.
const usageProcessingError = `(SELECT af.error FROM amie_failed af WHERE af.resource = r.resource AND af.local_record_id = r.local_record_id
	AND af.usage_type = ? ORDER BY af.failed_id DESC LIMIT 1)`

func (f UploadRecordFilter) where() (string, []any) {
	w, args := "r.upload_id = ?", []any{f.Upload}
	switch f.Outcome {
	case "":
	case RecordOutcomeFailedProcessing:
		w += " AND r.outcome = 'accepted' AND " + usageProcessingError + " IS NOT NULL"
		args = append(args, f.UsageType)
	default:
		w += " AND r.outcome = ?"
		args = append(args, f.Outcome)
	}
	return w, args
}

func (f UploadRecordFilter) query(page bool) (string, []any) {
	w, args := f.where()
	col, ok := usageUploadRecordOrder[f.Sort]
	if !ok {
		col = "r.seq"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	q := `SELECT r.seq, r.line, r.chunk, r.local_record_id, r.resource, r.local_project_id, r.username, r.start_time, r.end_time,
		r.charge, r.outcome, r.error, COALESCE(` + usageProcessingError + `, '') FROM usage_upload_records r WHERE ` + w +
		` ORDER BY ` + col + dir
	if col != "r.seq" {
		q += `, r.seq ASC`
	}
	args = append([]any{f.UsageType}, args...)
	if page {
		limit := f.Limit
		if limit <= 0 {
			limit = 50
		}
		q += ` LIMIT ? OFFSET ?`
		args = append(args, limit, f.Offset)
	}
	return q, args
}

func scanUsageUploadRecord(rows *sql.Rows) (UploadRecord, error) {
	var r UploadRecord
	var start, end int64
	err := rows.Scan(&r.Seq, &r.Line, &r.Chunk, &r.LocalRecordID, &r.Resource, &r.LocalProjectID, &r.Username, &start, &end,
		&r.Charge, &r.Outcome, &r.Error, &r.Processing)
	r.Start, r.End = unix(start), unix(end)
	return r, err
}

// ListUploadRecords returns one page of an upload's records and how many match.
func (db *DB) ListUploadRecords(ctx context.Context, f UploadRecordFilter) ([]UploadRecord, int64, error) {
	var out []UploadRecord
	var total int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		w, args := f.where()
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_upload_records r WHERE `+w, args...).Scan(&total); err != nil {
			return err
		}
		q, args := f.query(true)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanUsageUploadRecord(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: upload records: %w", err)
	}
	return out, total, nil
}

// EachUploadRecord calls fn for every matching record in the table's order.
func (db *DB) EachUploadRecord(ctx context.Context, f UploadRecordFilter, fn func(UploadRecord) error) error {
	q, args := f.query(false)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("cache: upload records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanUsageUploadRecord(rows)
		if err != nil {
			return fmt.Errorf("cache: upload records: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// UploadRefusals counts an upload's refused records per reason, most first.
func (db *DB) UploadRefusals(ctx context.Context, id int64) ([]FailedGroup, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT error, COUNT(*) FROM usage_upload_records WHERE upload_id = ? AND outcome = 'refused'
		GROUP BY error ORDER BY 2 DESC, 1`, id)
	if err != nil {
		return nil, fmt.Errorf("cache: upload refusals: %w", err)
	}
	defer rows.Close()
	var out []FailedGroup
	for rows.Next() {
		var g FailedGroup
		if err := rows.Scan(&g.Error, &g.Records); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UploadProcessingFailures counts an upload's accepted records that are
// listed among the failed records.
func (db *DB) UploadProcessingFailures(ctx context.Context, id int64, usageType string) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(DISTINCT r.seq) FROM usage_upload_records r JOIN amie_failed af
		ON af.resource = r.resource AND af.local_record_id = r.local_record_id AND af.usage_type = ?
		WHERE r.upload_id = ? AND r.outcome = 'accepted'`, usageType, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cache: upload processing failures: %w", err)
	}
	return n, nil
}
