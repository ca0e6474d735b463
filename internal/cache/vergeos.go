package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
)

// VergeOS billing records are system-wide: the VergeOS billing table has no
// project or tenant column (API.md §4), so these queries take no
// portal.Scope. Every signed-in person may read them; the handlers say so
// with their routes' access level.

func init() {
	registerCountedTable(portal.UpstreamVergeOS, "billing records", "vergeos_billing")
	registerCountedTable(portal.UpstreamVergeOS, "generate requests", "vergeos_generate_requests")
}

// billingCols lists the columns in the order scanBilling reads them.
const billingCols = `record_key, created, period_from, period_to, sent, description,
	used_cores, total_cores, online_cores, total_nodes, online_nodes, running_machines,
	used_ram, total_ram, online_ram, phys_ram_used, phys_vram_used, phys_total_cpu,
	tier_0_used, tier_0_total, tier_1_used, tier_1_total, tier_2_used, tier_2_total,
	tier_3_used, tier_3_total, tier_4_used, tier_4_total, tier_5_used, tier_5_total,
	gpus_total, gpus, gpus_idle, vgpus_total, vgpus, vgpus_idle,
	workload_datapoints, storage_datapoints, synced_at`

// billingFields returns pointers to r's fields in billingCols order.
func billingFields(r *billing.Record) []any {
	f := []any{&r.Key, &r.Created, &r.From, &r.To, &r.Sent, &r.Description,
		&r.UsedCores, &r.TotalCores, &r.OnlineCores, &r.TotalNodes, &r.OnlineNodes, &r.RunningMachines,
		&r.UsedRAM, &r.TotalRAM, &r.OnlineRAM, &r.PhysRAMUsed, &r.PhysVRAMUsed, &r.PhysTotalCPU}
	for i := range r.Tiers {
		f = append(f, &r.Tiers[i].Used, &r.Tiers[i].Total)
	}
	return append(f, &r.GPUsTotal, &r.GPUs, &r.GPUsIdle, &r.VGPUsTotal, &r.VGPUs, &r.VGPUsIdle,
		&r.WorkloadDatapoints, &r.StorageDatapoints, &r.SyncedAt)
}

func scanBilling(row rowScanner) (billing.Record, error) {
	var r billing.Record
	err := row.Scan(billingFields(&r)...)
	return r, err
}

// upsertBilling inserts records or updates each when any field changed.
// The WHERE on the update leaves unchanged rows alone, so that a re-read
// writes nothing and RowsAffected counts only new or changed records.
var upsertBilling = func() bulkInsert {
	cols := strings.Split(strings.Join(strings.Fields(billingCols), ""), ",")
	var set, diff []string
	for _, c := range cols[1:] {
		set = append(set, c+" = excluded."+c)
		if c != "synced_at" {
			diff = append(diff, sqlDiffers(c, "excluded."+c))
		}
	}
	return bulkInsert{head: `INSERT INTO vergeos_billing(` + strings.Join(cols, ", ") + `)`,
		tail: `ON CONFLICT(record_key) DO UPDATE SET ` + strings.Join(set, ", ") + ` WHERE ` + strings.Join(diff, " OR "), cols: len(cols)}
}()

// UpsertBillingRecords stores records by key in one transaction and
// returns how many were new or changed. A failure writes nothing.
func (db *DB) UpsertBillingRecords(ctx context.Context, records []billing.Record) (int64, error) {
	var changed int64
	// The last of each key wins, and no statement writes one row twice.
	at := make(map[string]int, len(records))
	for i, r := range records {
		if strings.TrimSpace(r.Key) == "" {
			return 0, fmt.Errorf("cache: upsert billing records: %w",
				portal.Errorf(portal.EINVALID, "VergeOS sent a billing record without a $key (created %d)", r.Created))
		}
		at[r.Key] = i
	}
	rs := make([]billing.Record, 0, len(at))
	now := db.now()
	for i, r := range records {
		if at[r.Key] == i {
			r.SyncedAt = now
			rs = append(rs, r)
		}
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		changed, err = upsertBilling.exec(ctx, tx, len(rs), func(i int, args []any) []any { return append(args, billingFields(&rs[i])...) })
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cache: upsert billing records: %w", err)
	}
	if changed > 0 {
		db.bump(portal.UpstreamVergeOS)
	}
	return changed, nil
}

// The reads of single records and of the sync's mark (their plans are
// checked in TestBilling_PageQueriesUseIndexes).
const (
	highWaterSQL      = `SELECT MAX(created) FROM vergeos_billing`
	recordByKeySQL    = `SELECT ` + billingCols + ` FROM vergeos_billing WHERE record_key = ?`
	recordsCreatedSQL = `SELECT ` + billingCols + ` FROM vergeos_billing WHERE created >= ? AND created <= ? ORDER BY created, record_key LIMIT ?`
)

// BillingHighWater returns the newest cached record's created time (the
// sync's high-water mark), and false when nothing is cached yet. It is
// read from the records themselves, so it can never disagree with them:
// a sync that stopped half-way leaves the mark at the last page it wrote.
func (db *DB) BillingHighWater(ctx context.Context) (int64, bool, error) {
	hw, err := one(ctx, db, highWaterSQL, nil, scanValue[sql.NullInt64])
	if err != nil {
		return 0, false, fmt.Errorf("cache: billing high-water mark: %w", err)
	}
	return hw.Int64, hw.Valid, nil
}

// BillingRecordByKey returns one record, or ENOTFOUND.
func (db *DB) BillingRecordByKey(ctx context.Context, key string) (billing.Record, error) {
	r, err := one(ctx, db, recordByKeySQL, []any{key}, scanBilling)
	if err != nil {
		return r, notFound(err, fmt.Sprintf("There is no VergeOS billing record %q in the portal's copy.", key))
	}
	return r, nil
}

// BillingRecordsCreated returns up to limit records created in [from, to]
// (Unix seconds), oldest first: what VergeOS wrote around a generate request.
func (db *DB) BillingRecordsCreated(ctx context.Context, from, to int64, limit int) ([]billing.Record, error) {
	out, err := all(ctx, db, recordsCreatedSQL, []any{from, to, limit}, scanBilling)
	if err != nil {
		return nil, fmt.Errorf("cache: billing records created: %w", err)
	}
	return out, nil
}

// unixRange converts a [from, to) time range to Unix seconds.
func unixRange(from, to time.Time) (int64, int64) { return from.UTC().Unix(), to.UTC().Unix() }
