package cache

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Balance snapshots are written at every OBI sync (every few minutes), so
// they would grow by about 100,000 rows per account per year. Old ones are
// thinned: every snapshot is kept for SnapshotFullFor, then the last one of
// each UTC hour, and after SnapshotHourlyFor the last one of each UTC day.
// Charts of old periods draw per hour or day anyway.
const (
	SnapshotFullFor   = 35 * 24 * time.Hour
	SnapshotHourlyFor = 365 * 24 * time.Hour
)

// ThinBalanceSnapshots applies the retention above and returns how many
// snapshots it removed.
func (db *DB) ThinBalanceSnapshots(ctx context.Context) (int64, error) {
	now := db.now()
	hourCut := now - int64(SnapshotFullFor/time.Second)
	dayCut := now - int64(SnapshotHourlyFor/time.Second)
	var removed int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, step := range []struct{ from, to, bucket int64 }{
			{0, dayCut, 86400},
			{dayCut, hourCut, 3600},
		} {
			// A snapshot goes when a later one of the same account falls in
			// its bucket; the range on t.at lets the primary key serve the look-up.
			res, err := tx.ExecContext(ctx, `DELETE FROM obi_balance_snapshots AS s
				WHERE s.at >= ? AND s.at < ? AND EXISTS (
					SELECT 1 FROM obi_balance_snapshots t
					WHERE t.account = s.account AND t.at > s.at AND t.at < (s.at / ?) * ? + ?)`,
				step.from, step.to, step.bucket, step.bucket, step.bucket)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			removed += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: thin balance snapshots: %w", err)
	}
	if removed > 0 {
		// A project's page keeps its snapshots and when they begin.
		db.bump(portal.UpstreamOBI)
	}
	return removed, nil
}
