package cache

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/portal"
)

// CataloguedTenants returns the VergeOS tenants the projects file names,
// with their projects, and their $key when VergeOS has listed them (0: not
// seen yet).
func (db *DB) CataloguedTenants(ctx context.Context) ([]costs.Tenant, error) {
	out, err := all(ctx, db, `SELECT pi.upstream_id, pi.project_key, COALESCE(MAX(t.tenant_key), 0)
		FROM project_ids pi LEFT JOIN vergeos_tenants t ON t.name = pi.upstream_id
		WHERE pi.upstream = ? GROUP BY pi.upstream_id, pi.project_key ORDER BY pi.project_key`, []any{portal.UpstreamVergeOS},
		func(r rowScanner) (costs.Tenant, error) {
			var t costs.Tenant
			err := r.Scan(&t.Name, &t.Project, &t.Key)
			return t, err
		})
	if err != nil {
		return nil, fmt.Errorf("cache: catalogued tenants: %w", err)
	}
	return out, nil
}

// UpsertVergeOSTenants records the tenants VergeOS listed.
func (db *DB) UpsertVergeOSTenants(ctx context.Context, ts []costs.Tenant) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, t := range ts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO vergeos_tenants(tenant_key, name, seen_at) VALUES (?, ?, ?)
				ON CONFLICT(tenant_key) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at`, t.Key, t.Name, db.now()); err != nil {
				return fmt.Errorf("cache: tenants: %w", err)
			}
		}
		return nil
	})
}

// TenantHighWater returns the newest stored sample of a tenant's history.
func (db *DB) TenantHighWater(ctx context.Context, tenantKey int64, history string) (int64, bool, error) {
	ts, err := one(ctx, db, `SELECT MAX(ts) FROM vergeos_tenant_samples WHERE tenant_key = ? AND history = ?`, []any{tenantKey, history},
		func(r rowScanner) (sql.NullInt64, error) {
			var ts sql.NullInt64
			err := r.Scan(&ts)
			return ts, err
		})
	if err != nil {
		return 0, false, fmt.Errorf("cache: tenant high-water: %w", err)
	}
	return ts.Int64, ts.Valid, nil
}

const tenantSampleCols = `tenant_key, history, ts, sample_key, total_cpu, core_count, ram_used, vram_used, ram_allocated, ram_pct, ip_count,
	tier0_provisioned, tier0_used, tier0_allocated, tier0_pct, tier1_provisioned, tier1_used, tier1_allocated, tier1_pct,
	tier2_provisioned, tier2_used, tier2_allocated, tier2_pct, tier3_provisioned, tier3_used, tier3_allocated, tier3_pct,
	tier4_provisioned, tier4_used, tier4_allocated, tier4_pct, tier5_provisioned, tier5_used, tier5_allocated, tier5_pct,
	gpus_used, gpus_total, gpus_pct, vgpus_used, vgpus_total, vgpus_pct`

func readingValues(r *costs.TenantReading) []any {
	v := []any{r.TenantKey, r.History, r.Timestamp, r.SampleKey, r.TotalCPU, r.CoreCount, r.RAMUsed, r.VRAMUsed, r.RAMAllocated, r.RAMPct, r.IPCount}
	for _, t := range r.Tiers {
		v = append(v, t.Provisioned, t.Used, t.Allocated, t.Pct)
	}
	return append(v, r.GPUsUsed, r.GPUsTotal, r.GPUsPct, r.VGPUsUsed, r.VGPUsTotal, r.VGPUsPct)
}

func readingDigest(vals []any) int64 {
	h := fnv.New64a()
	for _, v := range vals[3:] {
		fmt.Fprint(h, v, "|")
	}
	return int64(h.Sum64() >> 1)
}

// UpsertTenantSamples stores samples of tenant histories in one
// transaction. A sample already stored with the same values is left
// alone; written counts the new and changed ones, and earliest is the
// oldest timestamp among them (0: none), from which the ledger is brought
// up to date.
func (db *DB) UpsertTenantSamples(ctx context.Context, rs []costs.TenantReading) (written, earliest int64, err error) {
	q := `INSERT INTO vergeos_tenant_samples(` + tenantSampleCols + `, digest, synced_at) VALUES (` + placeholders(41+2) + `)
		ON CONFLICT(tenant_key, history, ts) DO UPDATE SET sample_key = excluded.sample_key, total_cpu = excluded.total_cpu,
		core_count = excluded.core_count, ram_used = excluded.ram_used, vram_used = excluded.vram_used, ram_allocated = excluded.ram_allocated,
		ram_pct = excluded.ram_pct, ip_count = excluded.ip_count,
		tier0_provisioned = excluded.tier0_provisioned, tier0_used = excluded.tier0_used, tier0_allocated = excluded.tier0_allocated, tier0_pct = excluded.tier0_pct,
		tier1_provisioned = excluded.tier1_provisioned, tier1_used = excluded.tier1_used, tier1_allocated = excluded.tier1_allocated, tier1_pct = excluded.tier1_pct,
		tier2_provisioned = excluded.tier2_provisioned, tier2_used = excluded.tier2_used, tier2_allocated = excluded.tier2_allocated, tier2_pct = excluded.tier2_pct,
		tier3_provisioned = excluded.tier3_provisioned, tier3_used = excluded.tier3_used, tier3_allocated = excluded.tier3_allocated, tier3_pct = excluded.tier3_pct,
		tier4_provisioned = excluded.tier4_provisioned, tier4_used = excluded.tier4_used, tier4_allocated = excluded.tier4_allocated, tier4_pct = excluded.tier4_pct,
		tier5_provisioned = excluded.tier5_provisioned, tier5_used = excluded.tier5_used, tier5_allocated = excluded.tier5_allocated, tier5_pct = excluded.tier5_pct,
		gpus_used = excluded.gpus_used, gpus_total = excluded.gpus_total, gpus_pct = excluded.gpus_pct,
		vgpus_used = excluded.vgpus_used, vgpus_total = excluded.vgpus_total, vgpus_pct = excluded.vgpus_pct,
		digest = excluded.digest, synced_at = excluded.synced_at
		WHERE digest != excluded.digest`
	err = db.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := db.now()
		for i := range rs {
			vals := readingValues(&rs[i])
			res, err := stmt.ExecContext(ctx, append(vals, readingDigest(vals), now)...)
			if err != nil {
				return fmt.Errorf("cache: tenant samples: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				written++
				if earliest == 0 || rs[i].Timestamp < earliest {
					earliest = rs[i].Timestamp
				}
			}
		}
		return nil
	})
	return written, earliest, err
}

// PruneTenantSamples removes short-history samples older than before:
// the short history is a window on the last day, as upstream.
func (db *DB) PruneTenantSamples(ctx context.Context, before int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM vergeos_tenant_samples WHERE history = ? AND ts < ?`, costs.HistoryShort, before)
		return err
	})
}

// SetTenantCurrent stores a tenant's current reading.
func (db *DB) SetTenantCurrent(ctx context.Context, c costs.TenantCurrent) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO vergeos_tenant_current(tenant_key, ram_used, last_update, read_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(tenant_key) DO UPDATE SET ram_used = excluded.ram_used, last_update = excluded.last_update, read_at = excluded.read_at`,
			c.TenantKey, c.RAMUsed, secs(c.LastUpdate), secs(c.ReadAt))
		return err
	})
}

// tenantReadings returns a tenant's samples of history with from ≤ ts < to (to 0: open), oldest first.
func tenantReadings(ctx context.Context, q querier, tenantKey int64, history string, from, to int64) ([]costs.TenantReading, error) {
	cond, args := "tenant_key = ? AND history = ? AND ts >= ?", []any{tenantKey, history, from}
	if to > 0 {
		cond += " AND ts < ?"
		args = append(args, to)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+tenantSampleCols+` FROM vergeos_tenant_samples WHERE `+cond+` ORDER BY ts`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []costs.TenantReading
	for rows.Next() {
		var r costs.TenantReading
		dst := []any{&r.TenantKey, &r.History, &r.Timestamp, &r.SampleKey, &r.TotalCPU, &r.CoreCount, &r.RAMUsed, &r.VRAMUsed, &r.RAMAllocated, &r.RAMPct, &r.IPCount}
		for i := range r.Tiers {
			t := &r.Tiers[i]
			dst = append(dst, &t.Provisioned, &t.Used, &t.Allocated, &t.Pct)
		}
		dst = append(dst, &r.GPUsUsed, &r.GPUsTotal, &r.GPUsPct, &r.VGPUsUsed, &r.VGPUsTotal, &r.VGPUsPct)
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TenantLatest returns a tenant's newest reading of history (ok false: none)
// and its current stats (zero ReadAt: none read).
func (db *DB) TenantLatest(ctx context.Context, tenantKey int64, history string) (r costs.TenantReading, ok bool, cur costs.TenantCurrent, err error) {
	err = db.read(ctx, func(tx *sql.Tx) error {
		var ts sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(ts) FROM vergeos_tenant_samples WHERE tenant_key = ? AND history = ?`, tenantKey, history).Scan(&ts); err != nil {
			return err
		}
		if ts.Valid {
			rs, err := tenantReadings(ctx, tx, tenantKey, history, ts.Int64, ts.Int64+1)
			if err != nil {
				return err
			}
			if len(rs) == 1 {
				r, ok = rs[0], true
			}
		}
		var lu, at int64
		err := tx.QueryRowContext(ctx, `SELECT ram_used, last_update, read_at FROM vergeos_tenant_current WHERE tenant_key = ?`, tenantKey).Scan(&cur.RAMUsed, &lu, &at)
		switch {
		case err == sql.ErrNoRows:
			return nil
		case err != nil:
			return err
		}
		cur.TenantKey, cur.LastUpdate, cur.ReadAt = tenantKey, unix(lu), unix(at)
		return nil
	})
	if err != nil {
		err = fmt.Errorf("cache: tenant latest: %w", err)
	}
	return r, ok, cur, err
}
