package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AMIEFailedRecord is a record that failed processing upstream and is not
// cleared yet.
type AMIEFailedRecord struct {
	FailedID       int64  // the upstream's FailedRecordID; 0 when it gave none
	UsageType      string // Compute, Storage, Adjustment
	Error          string
	Resource       string
	LocalProjectID string
	LocalRecordID  string
	Username       string
	Start          time.Time // StartTime, or CollectionTime for storage
	End            time.Time // EndTime of compute records
	Charge         string
	LocalReference string
	// Problems lists fields the portal could not read; Raw is the record
	// exactly as the upstream sent it.
	Problems string
	Raw      string
	// ProjectKey and ProjectName are the portal project of LocalProjectID
	// (empty when the catalogue does not know it); filled by queries.
	ProjectKey, ProjectName string
}

// failedBatch is how many failed records one multi-row insert carries.
const failedBatch = 200

// ReplaceAMIEFailed makes the cached failed records equal to recs, the
// upstream's whole list, in one transaction: records cleared upstream
// disappear, and a failed write leaves the previous list in place.
func (db *DB) ReplaceAMIEFailed(ctx context.Context, recs []AMIEFailedRecord) (int64, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed`); err != nil {
			return err
		}
		seen := map[int64]bool{}
		resources := map[string]bool{}
		var names []string
		for i := 0; i < len(recs); i += failedBatch {
			part := recs[i:min(i+failedBatch, len(recs))]
			args := make([]any, 0, len(part)*14)
			n := 0
			for _, r := range part {
				// The upstream lists each FailedRecordID once; should it not,
				// the first listing wins rather than the sync failing forever.
				if r.FailedID > 0 && seen[r.FailedID] {
					continue
				}
				seen[r.FailedID] = r.FailedID > 0
				if !resources[r.Resource] && r.Resource != "" {
					resources[r.Resource] = true
					names = append(names, r.Resource)
				}
				args = append(args, r.FailedID, r.UsageType, r.Error, r.Resource, r.LocalProjectID, r.LocalRecordID, r.Username,
					secs(r.Start), secs(r.End), r.Charge, r.LocalReference, r.Problems, r.Raw)
				n++
			}
			if n == 0 {
				continue
			}
			q := `INSERT INTO amie_failed(failed_id, usage_type, error, resource, local_project_id, local_record_id, username,
				start_time, end_time, charge, local_reference, problems, raw) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?),", n), ",")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return touchResources(ctx, tx, names, db.now())
	})
	if err != nil {
		return 0, fmt.Errorf("cache: replace amie failed records: %w", err)
	}
	return int64(len(recs)), nil
}
