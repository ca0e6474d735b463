package cache

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
)

// bucketExpr is the SQL for the start (Unix seconds) of a record's bucket,
// by the start of its billed period. 1970-01-05 (day 4) was a Monday.
func bucketExpr(b billing.Bucket) string {
	switch b {
	case billing.BucketHour:
		return `(period_from / 3600) * 3600`
	case billing.BucketDay:
		return `(period_from / 86400) * 86400`
	case billing.BucketWeek:
		return `((period_from - 345600) / 604800) * 604800 + 345600`
	}
	return sqlMonthStart("period_from")
}

// BillingSeries returns the period's records folded into buckets, oldest
// first: at most a few hundred rows whatever the length of the period.
func (db *DB) BillingSeries(ctx context.Context, from, to time.Time, b billing.Bucket) ([]billing.Point, error) {
	return rememberBilling(ctx, db, "series:"+string(b), from, to, func() ([]billing.Point, error) { return db.billingSeries(ctx, from, to, b) },
		slices.Clone)
}

func (db *DB) billingSeries(ctx context.Context, from, to time.Time, b billing.Bucket) ([]billing.Point, error) {
	lo, hi := unixRange(from, to)
	out, err := all(ctx, db, `SELECT `+bucketExpr(b)+` AS bucket, COUNT(*),
		AVG(`+pctCPU+`), AVG(`+pctRAM+`), AVG(`+pctGPU+`), AVG(`+pctVGPU+`), AVG(`+pctStorage+`), MAX(`+pctCPU+`),
		AVG(CAST(`+sumUsed+` AS REAL)), AVG(CAST(`+sumTotal+` AS REAL))
		FROM vergeos_billing WHERE `+periodWhere+` GROUP BY bucket ORDER BY bucket`, []any{lo, hi}, func(row rowScanner) (billing.Point, error) {
		var p billing.Point
		var start int64
		err := row.Scan(&start, &p.Records, &p.CPU, &p.RAM, &p.GPU, &p.VGPU, &p.Storage, &p.PeakCPU, &p.StorageUsed, &p.StorageTotal)
		p.Start = time.Unix(start, 0).UTC()
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: billing series: %w", err)
	}
	return out, nil
}
