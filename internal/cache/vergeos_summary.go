package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
)

// The summary of a period (billing.Summary) is computed in SQL the way the
// VergeOS SDKs' summary (and vergeos.Summarize) computes it: years of
// hourly records are folded in one pass by SQLite; nothing is loaded per
// record.

// Per-record values: the table's generated columns (see 0400_vergeos.sql),
// written once per record exactly as vergeos.Percent and the
// billing.Record helpers compute them, so the same IEEE operations give the
// same numbers. Used GiB is bytes/2^30, an exact scaling.
const (
	pctCPU     = `cpu_pct`
	pctRAM     = `ram_pct`
	pctGPU     = `gpu_pct`
	pctVGPU    = `vgpu_pct`
	pctStorage = `storage_pct`
	sumUsed    = `storage_used`
	sumTotal   = `storage_total`
	usedGiB    = `CAST(storage_used AS REAL) / 1073741824`
)

// periodWhere selects the records whose billed period starts in [from, to).
const periodWhere = `period_from >= ? AND period_from < ?`

// summarySQL folds the period's records in one pass over the period index.
// Sums of byte counts are taken as REAL: twenty years of hourly petabyte
// figures overflow a 64-bit integer sum.
var summarySQL = func() string {
	var tiers []string
	for t := range billing.Tiers {
		n := strconv.Itoa(t)
		tiers = append(tiers, "SUM(CAST(tier_"+n+"_used AS REAL)), MAX(tier_"+n+"_used)")
	}
	return `SELECT COUNT(*),
		SUM(cpu_pct), MAX(cpu_pct), MAX(used_cores),
		SUM(ram_pct), MAX(ram_pct), MAX(used_ram),
		SUM(` + usedGiB + `), MAX(storage_used) / 1073741824.0, SUM(storage_pct), MAX(storage_pct),
		SUM(gpus), SUM(vgpus), SUM(gpu_pct), MAX(gpu_pct), SUM(vgpu_pct), MAX(vgpu_pct),
		MIN(created), MAX(created), ` + strings.Join(tiers, ", ") + `
	FROM vergeos_billing WHERE ` + periodWhere
}()

// BillingSummary summarises the records whose period starts in [from, to).
func (db *DB) BillingSummary(ctx context.Context, from, to time.Time) (billing.Summary, error) {
	return rememberBilling(ctx, db, "summary", from, to, func() (billing.Summary, error) { return db.billingSummary(ctx, from, to) }, same)
}

func (db *DB) billingSummary(ctx context.Context, from, to time.Time) (billing.Summary, error) {
	var s billing.Summary
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := db.summaryAggregates(ctx, tx, &s, from, to); err != nil || s.RecordCount == 0 {
			return err
		}
		lo, hi := unixRange(from, to)
		newest, err := scanBilling(tx.QueryRowContext(ctx, `SELECT `+billingCols+` FROM vergeos_billing
			WHERE created = ? AND `+periodWhere+` ORDER BY length(record_key) DESC, record_key DESC LIMIT 1`, s.LastCreated, lo, hi))
		if err != nil {
			return err
		}
		s.SetNewest(newest)
		return nil
	})
	if err != nil {
		return billing.Summary{}, fmt.Errorf("cache: billing summary: %w", err)
	}
	return s, nil
}

func (db *DB) summaryAggregates(ctx context.Context, tx *sql.Tx, s *billing.Summary, from, to time.Time) error {
	lo, hi := unixRange(from, to)
	// Aggregates over no rows are NULL, so everything is scanned through Null types.
	var f [12]sql.NullFloat64 // sum and max of: cpu %, ram %, storage GiB, storage %, gpu %, vgpu %
	var i [6]sql.NullInt64    // peak cores, peak RAM MB, gpus sum, vgpus sum, first, last created
	var tierSum [billing.Tiers]sql.NullFloat64
	var tierPeak [billing.Tiers]sql.NullInt64
	dest := []any{&s.RecordCount, &f[0], &f[1], &i[0], &f[2], &f[3], &i[1],
		&f[4], &f[5], &f[6], &f[7], &i[2], &i[3], &f[8], &f[9], &f[10], &f[11], &i[4], &i[5]}
	for t := range billing.Tiers {
		dest = append(dest, &tierSum[t], &tierPeak[t])
	}
	if err := tx.QueryRowContext(ctx, summarySQL, lo, hi).Scan(dest...); err != nil {
		return err
	}
	if s.RecordCount == 0 {
		return nil
	}
	n := float64(s.RecordCount)
	s.AvgCPUUtilization, s.PeakCPUUtilization, s.PeakCPUCores = f[0].Float64/n, f[1].Float64, i[0].Int64
	s.AvgRAMUtilization, s.PeakRAMUtilization, s.PeakRAMGiB = f[2].Float64/n, f[3].Float64, float64(i[1].Int64)/1024
	s.AvgStorageUsedGiB, s.PeakStorageUsedGiB = f[4].Float64/n, f[5].Float64
	s.AvgStorageUtilization, s.PeakStorageUtilization = f[6].Float64/n, f[7].Float64
	s.AvgGPUsUsed, s.AvgVGPUsUsed = float64(i[2].Int64)/n, float64(i[3].Int64)/n
	s.AvgGPUUtilization, s.PeakGPUUtilization = f[8].Float64/n, f[9].Float64
	s.AvgVGPUUtilization, s.PeakVGPUUtilization = f[10].Float64/n, f[11].Float64
	s.FirstCreated, s.LastCreated = i[4].Int64, i[5].Int64
	for t := range billing.Tiers {
		s.Tiers[t].AvgUsed, s.Tiers[t].PeakUsed = tierSum[t].Float64/n, tierPeak[t].Int64
	}
	return nil
}

// rememberBilling keeps what the billing page computes from the records
// whose period starts in [from, to) (memo.go). A range given by the
// clock moves every second, but the records it holds change only at a
// sync or when the range passes a record's start: the answer is kept by
// the first and last period start the range holds, found on the period
// index, so "the last 30 days" is read once per sync and hour.
func rememberBilling[T any](ctx context.Context, db *DB, kind string, from, to time.Time, load func() (T, error), copyOut func(T) T) (T, error) {
	gen := db.gen(portal.UpstreamVergeOS)
	lo, hi := unixRange(from, to)
	// A page asks for several answers of one range, and many pages ask in
	// the same second: the range's first and last start are kept too, by
	// the range's seconds, apart from the answers (memo.go).
	span := strconv.FormatInt(lo, 10) + "-" + strconv.FormatInt(hi, 10)
	key, err := rememberedIn(&db.ranges, "billing range:"+span, gen, func() (string, error) {
		var first, last sql.NullInt64
		err := db.read(ctx, func(tx *sql.Tx) error {
			if err := db.queryRowIn(ctx, tx, `SELECT period_from FROM vergeos_billing WHERE `+periodWhere+` ORDER BY period_from LIMIT 1`, lo, hi).
				Scan(&first); err != nil && err != sql.ErrNoRows {
				return err
			}
			err := db.queryRowIn(ctx, tx, `SELECT period_from FROM vergeos_billing WHERE `+periodWhere+` ORDER BY period_from DESC LIMIT 1`, lo, hi).Scan(&last)
			if err == sql.ErrNoRows {
				err = nil
			}
			return err
		})
		if err != nil || !first.Valid {
			return "none", err
		}
		return strconv.FormatInt(first.Int64, 10) + "-" + strconv.FormatInt(last.Int64, 10), nil
	}, same)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("cache: billing %s: %w", kind, err)
	}
	return remembered(db, "billing "+kind+":"+key, gen, load, copyOut)
}
