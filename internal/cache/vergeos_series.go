package cache

import (
	"context"
	"fmt"
	"time"
)

// Bucket is the width of a chart point.
type Bucket string

// Buckets, from fine to coarse. Weeks start on Monday, months on the 1st, UTC.
const (
	BucketHour  Bucket = "hour"
	BucketDay   Bucket = "day"
	BucketWeek  Bucket = "week"
	BucketMonth Bucket = "month"
)

// BucketFor picks the bucket that keeps a chart of the range to at most
// about two hundred points: hours up to 8 days, days up to 200 days, weeks
// up to 4 years, months beyond.
func BucketFor(from, to time.Time) Bucket {
	switch span := to.Sub(from); {
	case span <= 8*24*time.Hour:
		return BucketHour
	case span <= 200*24*time.Hour:
		return BucketDay
	case span <= 4*365*24*time.Hour:
		return BucketWeek
	}
	return BucketMonth
}

// Width returns the bucket's nominal length (a month counts 30 days).
func (b Bucket) Width() time.Duration {
	switch b {
	case BucketHour:
		return time.Hour
	case BucketDay:
		return 24 * time.Hour
	case BucketWeek:
		return 7 * 24 * time.Hour
	}
	return 30 * 24 * time.Hour
}

// bucketExpr is the SQL for the start (Unix seconds) of a record's bucket,
// by the start of its billed period. 1970-01-05 (day 4) was a Monday.
func (b Bucket) expr() string {
	switch b {
	case BucketHour:
		return `(period_from / 3600) * 3600`
	case BucketDay:
		return `(period_from / 86400) * 86400`
	case BucketWeek:
		return `((period_from - 345600) / 604800) * 604800 + 345600`
	}
	return sqlMonthStart("period_from")
}

// BillingBucket is one chart point: the means of the records of a bucket.
type BillingBucket struct {
	Start   time.Time
	Records int64
	// Mean per-record utilisation in percent.
	CPU, RAM, GPU, VGPU, Storage float64
	// PeakCPU is the largest per-record CPU utilisation of the bucket.
	PeakCPU float64
	// StorageUsed and StorageTotal are the mean bytes over all tiers.
	StorageUsed, StorageTotal float64
}

// BillingSeries returns the period's records folded into buckets, oldest
// first: at most a few hundred rows whatever the length of the period.
func (db *DB) BillingSeries(ctx context.Context, from, to time.Time, b Bucket) ([]BillingBucket, error) {
	lo, hi := unixRange(from, to)
	out, err := all(ctx, db, `SELECT `+b.expr()+` AS bucket, COUNT(*),
		AVG(`+pctCPU+`), AVG(`+pctRAM+`), AVG(`+pctGPU+`), AVG(`+pctVGPU+`), AVG(`+pctStorage+`), MAX(`+pctCPU+`),
		AVG(CAST(`+sumUsed+` AS REAL)), AVG(CAST(`+sumTotal+` AS REAL))
		FROM vergeos_billing WHERE `+periodWhere+` GROUP BY bucket ORDER BY bucket`, []any{lo, hi}, func(row rowScanner) (BillingBucket, error) {
		var p BillingBucket
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
