package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
)

// coverageSQL pairs each record of the period (in period order, which the
// period index gives without sorting) with the latest end of the records
// before it: a start after that end is a gap, a start before it an overlap.
const coverageSQL = `SELECT period_from, prev_to FROM (
	SELECT period_from, MAX(period_to) OVER (ORDER BY period_from, period_to ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_to
	FROM vergeos_billing WHERE ` + periodWhere + `) WHERE prev_to IS NOT NULL`

// BillingReconciliation checks the records whose period starts in [from, to).
func (db *DB) BillingReconciliation(ctx context.Context, from, to time.Time) (billing.Reconciliation, error) {
	return rememberBilling(ctx, db, "reconciliation", from, to, func() (billing.Reconciliation, error) { return db.billingReconciliation(ctx, from, to) },
		func(rc billing.Reconciliation) billing.Reconciliation {
			rc.First = slices.Clone(rc.First)
			return rc
		})
}

func (db *DB) billingReconciliation(ctx context.Context, from, to time.Time) (billing.Reconciliation, error) {
	lo, hi := unixRange(from, to)
	var rc billing.Reconciliation
	err := db.read(ctx, func(tx *sql.Tx) error {
		var lastTo sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN sent = 0 THEN 1 ELSE 0 END), 0), MAX(period_to) FROM vergeos_billing WHERE `+periodWhere, lo, hi).
			Scan(&rc.Records, &rc.Unsent, &lastTo)
		if err != nil {
			return err
		}
		if lastTo.Valid {
			rc.LastTo = time.Unix(lastTo.Int64, 0).UTC()
		}
		var missing int64
		err = tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN period_from > prev_to THEN 1 ELSE 0 END), 0), COALESCE(SUM(`+sqlGreatest("period_from - prev_to", "0")+`), 0),
			COALESCE(SUM(CASE WHEN period_from < prev_to THEN 1 ELSE 0 END), 0) FROM (`+coverageSQL+`)`, lo, hi).Scan(&rc.Gaps, &missing, &rc.Overlaps)
		if err != nil {
			return err
		}
		rc.Missing = time.Duration(missing) * time.Second
		if rc.Gaps == 0 {
			return nil
		}
		rc.First, err = firstGaps(ctx, tx, lo, hi)
		return err
	})
	if err != nil {
		return rc, fmt.Errorf("cache: billing reconciliation: %w", err)
	}
	return rc, nil
}

func firstGaps(ctx context.Context, tx *sql.Tx, lo, hi int64) ([]billing.Gap, error) {
	rows, err := tx.QueryContext(ctx, `SELECT prev_to, period_from FROM (`+coverageSQL+`) WHERE period_from > prev_to LIMIT ?`, lo, hi, billing.MaxListedGaps)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []billing.Gap
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		out = append(out, billing.Gap{From: time.Unix(a, 0).UTC(), To: time.Unix(b, 0).UTC()})
	}
	return out, rows.Err()
}
