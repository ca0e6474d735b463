package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BillingSummary is the usage over the billing records of a period,
// computed in SQL the way the VergeOS SDKs' summary (and
// vergeos.Summarize) computes it: per-record percentages averaged over the
// records, peaks as the largest per-record values, GPU totals and tier
// figures from the newest record. Years of hourly records are folded in
// one pass by SQLite; nothing is loaded per record.
type BillingSummary struct {
	RecordCount int64

	AvgCPUUtilization, PeakCPUUtilization float64 // percent
	PeakCPUCores                          int64

	AvgRAMUtilization, PeakRAMUtilization float64 // percent
	PeakRAMGiB                            float64 // the largest used_ram, MB/1024

	AvgStorageUsedGiB, PeakStorageUsedGiB         float64 // over tiers 0–5
	AvgStorageUtilization, PeakStorageUtilization float64 // percent

	TotalGPUs, TotalVGPUs                   int64 // from the newest record
	AvgGPUsUsed, AvgVGPUsUsed               float64
	AvgGPUUtilization, PeakGPUUtilization   float64 // percent
	AvgVGPUUtilization, PeakVGPUUtilization float64

	// Tiers are tier 0–5: the newest record's used/total/percent with the
	// mean and largest used over the records.
	Tiers [BillingTiers]BillingTierSummary
	// Newest is the newest record (largest created; the larger key on a tie,
	// numerically for numeric keys).
	Newest BillingRecord
	// FirstCreated and LastCreated bound the records' created (Unix seconds).
	FirstCreated, LastCreated int64
}

// BillingTierSummary is one storage tier over a period, in bytes.
type BillingTierSummary struct {
	Used, Total int64
	Percent     float64
	AvgUsed     float64
	PeakUsed    int64
}

// Per-record values: the table's generated columns (see 0400_vergeos.sql),
// written once per record exactly as vergeos.Percent and the
// BillingRecord helpers compute them, so the same IEEE operations give the
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
	for t := range BillingTiers {
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
func (db *DB) BillingSummary(ctx context.Context, from, to time.Time) (BillingSummary, error) {
	var s BillingSummary
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := db.summaryAggregates(ctx, tx, &s, from, to); err != nil || s.RecordCount == 0 {
			return err
		}
		lo, hi := unixRange(from, to)
		var err error
		s.Newest, err = scanBilling(tx.QueryRowContext(ctx, `SELECT `+billingCols+` FROM vergeos_billing
			WHERE created = ? AND `+periodWhere+` ORDER BY length(record_key) DESC, record_key DESC LIMIT 1`, s.LastCreated, lo, hi))
		if err != nil {
			return err
		}
		s.TotalGPUs, s.TotalVGPUs = s.Newest.GPUsTotal, s.Newest.VGPUsTotal
		for t := range BillingTiers {
			nt := s.Newest.Tiers[t]
			s.Tiers[t].Used, s.Tiers[t].Total, s.Tiers[t].Percent = nt.Used, nt.Total, percent(nt.Used, nt.Total)
		}
		return nil
	})
	if err != nil {
		return BillingSummary{}, fmt.Errorf("cache: billing summary: %w", err)
	}
	return s, nil
}

func (db *DB) summaryAggregates(ctx context.Context, tx *sql.Tx, s *BillingSummary, from, to time.Time) error {
	lo, hi := unixRange(from, to)
	// Aggregates over no rows are NULL, so everything is scanned through Null types.
	var f [12]sql.NullFloat64 // sum and max of: cpu %, ram %, storage GiB, storage %, gpu %, vgpu %
	var i [6]sql.NullInt64    // peak cores, peak RAM MB, gpus sum, vgpus sum, first, last created
	var tierSum [BillingTiers]sql.NullFloat64
	var tierPeak [BillingTiers]sql.NullInt64
	dest := []any{&s.RecordCount, &f[0], &f[1], &i[0], &f[2], &f[3], &i[1],
		&f[4], &f[5], &f[6], &f[7], &i[2], &i[3], &f[8], &f[9], &f[10], &f[11], &i[4], &i[5]}
	for t := range BillingTiers {
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
	for t := range BillingTiers {
		s.Tiers[t].AvgUsed, s.Tiers[t].PeakUsed = tierSum[t].Float64/n, tierPeak[t].Int64
	}
	return nil
}

// percent is part/whole×100, 0 without a whole: vergeos.Percent.
func percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole) * 100
}
