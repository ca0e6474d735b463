package cache

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/accounting-portal/portal/internal/usage"
)

// ReplaceAMIEFailed makes the cached failed records equal to recs, the
// upstream's whole list held at once: ReplaceAMIEFailedStream with one batch.
func (db *DB) ReplaceAMIEFailed(ctx context.Context, recs []usage.FailedRecord) (int64, error) {
	return db.ReplaceAMIEFailedStream(ctx, func(add func([]usage.FailedRecord) error, _ func() error) error {
		return add(recs)
	})
}

// ReplaceAMIEFailedStream makes the cached failed records equal to the
// upstream's whole list, which read hands to add in batches, in the
// list's order, as it reads the list; restart takes back every batch
// added so far (the reading starts again). Records cleared upstream
// disappear, new ones appear; a record listed before with the same
// FailedRecordID and content is not rewritten (the list is read every
// few minutes and rarely changes). New and changed records are staged
// batch by batch in short transactions, never holding the database's one
// writer while the upstream is read, and the cached list changes in a
// single transaction once read returns nil: when it returns an error
// (a list read part way), or the staging fails, the previous list stays
// as it was, nothing is removed, and the error is returned (read's as it
// is). It returns the rows written.
func (db *DB) ReplaceAMIEFailedStream(ctx context.Context, read func(add func([]usage.FailedRecord) error, restart func() error) error) (int64, error) {
	db.amieFailedMu.Lock()
	defer db.amieFailedMu.Unlock()
	l := &amieFailedLoad{db: db}
	if err := l.begin(ctx); err != nil {
		return 0, fmt.Errorf("cache: replace amie failed records: %w", err)
	}
	err := read(func(recs []usage.FailedRecord) error { return l.add(ctx, recs) }, func() error { return l.restart(ctx) })
	if err != nil {
		// The staged rows are not kept; should this fail as well, the
		// next replacement empties the table before it starts.
		l.discard(context.WithoutCancel(ctx))
		return 0, err
	}
	written, err := l.commit(ctx)
	if err != nil {
		l.discard(context.WithoutCancel(ctx))
		return 0, fmt.Errorf("cache: replace amie failed records: %w", err)
	}
	if written > 0 {
		db.bump(genAMIEFailed)
	}
	return written, nil
}

// amieFailedLoad is one replacement of the cached failed records. Beyond
// the staged rows it keeps only ids, digests and resource names.
type amieFailedLoad struct {
	db *DB
	// have is the stored records' digests by FailedRecordID, as the
	// replacement began (only the replacement itself adds records; a
	// confirmed clear may remove some meanwhile, which commit tolerates).
	have map[int64]int64
	// seen is the FailedRecordIDs listed so far: the upstream lists each
	// once; should it not, the first listing wins rather than the sync
	// failing forever.
	seen      map[int64]bool
	resources map[string]bool
	names     []string
	// staged and changed count the rows in amie_failed_incoming, and those
	// of them replacing a stored record.
	staged, changed int64
}

func (l *amieFailedLoad) begin(ctx context.Context) error {
	l.seen, l.resources = map[int64]bool{}, map[string]bool{}
	return l.db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed_incoming`); err != nil {
			return err
		}
		var err error
		l.have, err = amieStoredDigests(ctx, tx)
		return err
	})
}

// add stages the records of one batch that are new or changed.
func (l *amieFailedLoad) add(ctx context.Context, recs []usage.FailedRecord) error {
	type staged struct {
		r      *usage.FailedRecord
		digest int64
		fresh  bool
	}
	var stage []staged
	for i := range recs {
		r := &recs[i]
		if r.Resource != "" && !l.resources[r.Resource] {
			l.resources[r.Resource] = true
			l.names = append(l.names, r.Resource)
		}
		d := failedDigest(r)
		if r.FailedID <= 0 { // no key to compare: always rewritten
			stage = append(stage, staged{r, d, false})
			continue
		}
		if l.seen[r.FailedID] {
			continue
		}
		l.seen[r.FailedID] = true
		had, ok := l.have[r.FailedID]
		if ok && had == d {
			continue
		}
		if ok {
			l.changed++
		}
		stage = append(stage, staged{r, d, !ok})
	}
	if len(stage) == 0 {
		return nil
	}
	seq := l.staged
	err := l.db.write(ctx, func(tx *sql.Tx) error {
		ins := bulkInsert{head: `INSERT INTO amie_failed_incoming(seq, fresh, failed_id, usage_type, error, resource, local_project_id,
			local_record_id, username, start_time, end_time, charge, local_reference, problems, raw, digest)`, cols: 16}
		_, err := ins.exec(ctx, tx, len(stage), func(i int, args []any) []any {
			s := stage[i]
			r := s.r
			return append(args, seq+int64(i)+1, s.fresh, r.FailedID, r.UsageType, r.Error, r.Resource, r.LocalProjectID, r.LocalRecordID,
				r.Username, secs(r.Start), secs(r.End), r.Charge, r.LocalReference, r.Problems, r.Raw, s.digest)
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: replace amie failed records: staging: %w", err)
	}
	l.staged += int64(len(stage))
	return nil
}

// restart forgets every record added so far.
func (l *amieFailedLoad) restart(ctx context.Context) error {
	if err := l.discard(ctx); err != nil {
		return fmt.Errorf("cache: replace amie failed records: restart: %w", err)
	}
	clear(l.seen)
	clear(l.resources)
	l.names, l.staged, l.changed = nil, 0, 0
	return nil
}

// discard empties the staging table.
func (l *amieFailedLoad) discard(ctx context.Context) error {
	if l.staged == 0 {
		return nil
	}
	return l.db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM amie_failed_incoming`)
		return err
	})
}

// commit makes amie_failed the list read, in one transaction, and
// returns the rows written: those inserted and those deleted (a changed
// record is both).
func (l *amieFailedLoad) commit(ctx context.Context) (int64, error) {
	var del []int64
	for id := range l.have {
		if !l.seen[id] {
			del = append(del, id)
		}
	}
	err := l.db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed WHERE failed_id <= 0`); err != nil {
			return err
		}
		if err := deleteAMIEFailed(ctx, tx, del); err != nil {
			return err
		}
		if l.staged == 0 {
			return touchAMIEResources(ctx, tx, l.names, l.db.now())
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed WHERE failed_id IN
			(SELECT failed_id FROM amie_failed_incoming WHERE failed_id > 0)`); err != nil {
			return err
		}
		const cols = `failed_id, usage_type, error, resource, local_project_id, local_record_id, username,
			start_time, end_time, charge, local_reference, problems, raw, digest`
		if _, err := tx.ExecContext(ctx, `INSERT INTO amie_failed(`+cols+`) SELECT `+cols+` FROM amie_failed_incoming ORDER BY seq`); err != nil {
			return err
		}
		fresh, err := amieFreshGroups(ctx, tx)
		if err != nil {
			return err
		}
		if err := l.db.noteAMIEFailed(ctx, tx, fresh); err != nil {
			return err
		}
		if err := touchAMIEResources(ctx, tx, l.names, l.db.now()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM amie_failed_incoming`)
		return err
	})
	if err != nil {
		return 0, err
	}
	written := l.staged + int64(len(del)) + l.changed
	l.staged = 0
	return written, nil
}

// amieFreshGroups counts the staged records new to the cache by
// LocalProjectID and Error, in the order each pair is first listed.
func amieFreshGroups(ctx context.Context, tx *sql.Tx) ([]amieFreshGroup, error) {
	rows, err := tx.QueryContext(ctx, `SELECT local_project_id, error, COUNT(*) FROM amie_failed_incoming WHERE fresh
		GROUP BY local_project_id, error ORDER BY MIN(seq)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []amieFreshGroup
	for rows.Next() {
		var g amieFreshGroup
		if err := rows.Scan(&g.localProjectID, &g.error, &g.count); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
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
