package cache

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/usage"
)

// amieFailedBatch is how many failed records one multi-row insert carries.
const amieFailedBatch = 200

// ReplaceAMIEFailed makes the cached failed records equal to recs, the
// upstream's whole list, in one transaction: records cleared upstream
// disappear, new ones appear, and a failed write leaves the previous list
// in place. A record listed before with the same FailedRecordID and
// content is not rewritten (the list is read every few minutes and rarely
// changes). It returns the rows written.
func (db *DB) ReplaceAMIEFailed(ctx context.Context, recs []usage.FailedRecord) (int64, error) {
	var written int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		have, err := amieStoredDigests(ctx, tx)
		if err != nil {
			return err
		}
		// Records without an id have no key to compare: always rewritten.
		if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed WHERE failed_id <= 0`); err != nil {
			return err
		}
		seen := map[int64]bool{}
		var ins, fresh []usage.FailedRecord
		var del []int64
		resources := map[string]bool{}
		var names []string
		for _, r := range recs {
			if r.Resource != "" && !resources[r.Resource] {
				resources[r.Resource] = true
				names = append(names, r.Resource)
			}
			if r.FailedID <= 0 {
				ins = append(ins, r)
				continue
			}
			// The upstream lists each FailedRecordID once; should it not,
			// the first listing wins rather than the sync failing forever.
			if seen[r.FailedID] {
				continue
			}
			seen[r.FailedID] = true
			d, ok := have[r.FailedID]
			if ok && d == failedDigest(&r) {
				continue
			}
			if ok {
				del = append(del, r.FailedID)
			} else {
				fresh = append(fresh, r)
			}
			ins = append(ins, r)
		}
		for id := range have {
			if !seen[id] {
				del = append(del, id)
			}
		}
		if err := deleteAMIEFailed(ctx, tx, del); err != nil {
			return err
		}
		if err := insertAMIEFailed(ctx, tx, ins); err != nil {
			return err
		}
		written = int64(len(ins) + len(del))
		if err := db.noteAMIEFailed(ctx, tx, fresh); err != nil {
			return err
		}
		return touchAMIEResources(ctx, tx, names, db.now())
	})
	if err != nil {
		return 0, fmt.Errorf("cache: replace amie failed records: %w", err)
	}
	if written > 0 {
		db.bump(genAMIEFailed)
	}
	return written, nil
}

// failedDigest hashes every stored field (FNV-1a), to tell a changed record.
func failedDigest(r *usage.FailedRecord) int64 {
	h := fnv.New64a()
	for _, s := range []string{strconv.FormatInt(r.FailedID, 10), r.UsageType, r.Error, r.Resource, r.LocalProjectID, r.LocalRecordID,
		r.Username, strconv.FormatInt(secs(r.Start), 10), strconv.FormatInt(secs(r.End), 10), r.Charge, r.LocalReference, r.Problems, r.Raw} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

func amieStoredDigests(ctx context.Context, tx *sql.Tx) (map[int64]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT failed_id, digest FROM amie_failed WHERE failed_id > 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, d int64
		if err := rows.Scan(&id, &d); err != nil {
			return nil, err
		}
		out[id] = d
	}
	return out, rows.Err()
}

func deleteAMIEFailed(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for i := 0; i < len(ids); i += 500 {
		part := ids[i:min(i+500, len(ids))]
		if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed WHERE failed_id IN (`+placeholders(len(part))+`)`, anys(part)...); err != nil {
			return err
		}
	}
	return nil
}

func insertAMIEFailed(ctx context.Context, tx *sql.Tx, recs []usage.FailedRecord) error {
	for i := 0; i < len(recs); i += amieFailedBatch {
		part := recs[i:min(i+amieFailedBatch, len(recs))]
		args := make([]any, 0, len(part)*14)
		for j := range part {
			r := &part[j]
			args = append(args, r.FailedID, r.UsageType, r.Error, r.Resource, r.LocalProjectID, r.LocalRecordID, r.Username,
				secs(r.Start), secs(r.End), r.Charge, r.LocalReference, r.Problems, r.Raw, failedDigest(r))
		}
		q := `INSERT INTO amie_failed(failed_id, usage_type, error, resource, local_project_id, local_record_id, username,
			start_time, end_time, charge, local_reference, problems, raw, digest) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?,?),", len(part)), ",")
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}
