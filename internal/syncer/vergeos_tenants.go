package syncer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/portal"
)

// TenantSource is what the tenant sync reads; *vergeos.Client implements it.
type TenantSource interface {
	Tenants(ctx context.Context) ([]vergeos.Tenant, error)
	EachTenantSample(ctx context.Context, table string, tenant, since, until int64, fn func(page []vergeos.TenantSample) error) error
	CurrentTenantStats(ctx context.Context, tenant int64) (vergeos.TenantStats, bool, error)
}

// TenantStore is where the tenant sync writes; *cache.DB implements it.
type TenantStore interface {
	CataloguedTenants(ctx context.Context) ([]costs.Tenant, error)
	UpsertVergeOSTenants(ctx context.Context, ts []costs.Tenant) error
	TenantHighWater(ctx context.Context, tenantKey int64, history string) (int64, bool, error)
	UpsertTenantSamples(ctx context.Context, rs []costs.TenantReading) (written, earliest int64, err error)
	PruneTenantSamples(ctx context.Context, before int64) error
	SetTenantCurrent(ctx context.Context, c costs.TenantCurrent) error
}

// TenantRefresh is how far before the newest stored long-history sample a
// run reads again, so a sample VergeOS wrote late is picked up.
const TenantRefresh = 2 * time.Hour

// ShortHistoryKeep is how much of the short history the portal keeps: the
// window the VergeOS simulator serves, and the most recent readings a
// project page shows.
const ShortHistoryKeep = 24 * time.Hour

// SyncVergeOSTenants reads the usage of the tenants the projects file
// names. It lists VergeOS's tenants to find their $keys, then for each
// catalogued one reads its long history (all of it the first time, then
// from TenantRefresh before the newest sample held), its short history
// over the last day, and its current stats, all up to now (a fixed
// "until", so pages stay stable while VergeOS writes). It returns the
// samples written and the oldest timestamp of a long-history sample that
// was new or changed (0: none), which is where the ledger must be brought
// up to date from. A tenant the file names that VergeOS does not have is
// an error of the run, after the others were read.
func SyncVergeOSTenants(ctx context.Context, src TenantSource, store TenantStore, now time.Time) (rows, earliest int64, err error) {
	cat, err := store.CataloguedTenants(ctx)
	if err != nil || len(cat) == 0 {
		return 0, 0, err // no tenant named: not a single request
	}
	listed, err := src.Tenants(ctx)
	if err != nil {
		return 0, 0, err
	}
	byName := map[string]int64{}
	var all []costs.Tenant
	for _, t := range listed {
		all = append(all, costs.Tenant{Key: t.Key, Name: t.Name})
		if _, dup := byName[t.Name]; !dup {
			byName[t.Name] = t.Key
		}
	}
	if err := store.UpsertVergeOSTenants(ctx, all); err != nil {
		return 0, 0, err
	}
	until := now.Unix()
	var missing []string
	var errs []error
	for _, t := range cat {
		key, ok := byName[t.Name]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q (project %s)", t.Name, t.Project))
			continue
		}
		n, e, err := syncTenant(ctx, src, store, key, until)
		rows += n
		if e > 0 && (earliest == 0 || e < earliest) {
			earliest = e
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := store.PruneTenantSamples(ctx, now.Add(-ShortHistoryKeep).Unix()); err != nil {
		errs = append(errs, err)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		errs = append(errs, portal.Errorf(portal.EINVALID, "VergeOS has no tenant named %s, which the projects file names", strings.Join(missing, ", ")))
	}
	return rows, earliest, errors.Join(errs...)
}

// syncTenant reads one tenant's histories and current stats.
func syncTenant(ctx context.Context, src TenantSource, store TenantStore, key, until int64) (rows, earliest int64, err error) {
	hw, ok, err := store.TenantHighWater(ctx, key, costs.HistoryLong)
	if err != nil {
		return 0, 0, err
	}
	since := int64(0)
	if ok {
		since = hw - int64(TenantRefresh/time.Second)
	}
	batch := make([]costs.TenantReading, 0, vergeos.MaxPageSize)
	read := func(table, history string, since int64, long bool) error {
		return src.EachTenantSample(ctx, table, key, since, until, func(page []vergeos.TenantSample) error {
			batch = batch[:0]
			for i := range page {
				batch = append(batch, ReadingFromVergeOS(&page[i], history))
			}
			n, e, err := store.UpsertTenantSamples(ctx, batch)
			rows += n
			if long && e > 0 && (earliest == 0 || e < earliest) {
				earliest = e
			}
			return err
		})
	}
	if err := read(vergeos.HistoryLong, costs.HistoryLong, since, true); err != nil {
		return rows, earliest, err
	}
	if err := read(vergeos.HistoryShort, costs.HistoryShort, until-int64(ShortHistoryKeep/time.Second), false); err != nil {
		return rows, earliest, err
	}
	st, ok, err := src.CurrentTenantStats(ctx, key)
	if err != nil || !ok {
		return rows, earliest, err
	}
	c := costs.TenantCurrent{TenantKey: key, RAMUsed: st.RAMUsed, ReadAt: time.Unix(until, 0).UTC()}
	if st.LastUpdate > 0 {
		c.LastUpdate = time.Unix(st.LastUpdate, 0).UTC()
	}
	return rows, earliest, store.SetTenantCurrent(ctx, c)
}

// ReadingFromVergeOS converts a history sample from the client to the
// cache's form; both keep VergeOS's units.
func ReadingFromVergeOS(s *vergeos.TenantSample, history string) costs.TenantReading {
	r := costs.TenantReading{TenantKey: s.Tenant, History: history, Timestamp: s.Timestamp, SampleKey: string(s.Key),
		TotalCPU: s.TotalCPU, CoreCount: s.CoreCount, RAMUsed: s.RAMUsed, VRAMUsed: s.VRAMUsed, RAMAllocated: s.RAMAllocated,
		RAMPct: s.RAMPct, IPCount: s.IPCount, GPUsUsed: s.GPUsUsed, GPUsTotal: s.GPUsTotal, GPUsPct: s.GPUsPct,
		VGPUsUsed: s.VGPUsUsed, VGPUsTotal: s.VGPUsTotal, VGPUsPct: s.VGPUsPct}
	for i, t := range s.Tiers {
		r.Tiers[i] = costs.TierUsage{Provisioned: t.Provisioned, Used: t.Used, Allocated: t.Allocated, Pct: t.Pct}
	}
	return r
}

// Then returns j followed, in the same run, by next: next runs whether j
// succeeded or not (what j committed before it failed is in the cache
// too), its rows count with j's, and the run fails if either failed. The
// ledger is maintained this way right after each upstream's sync.
func Then(j Job, next func(ctx context.Context) (int64, error)) Job {
	run := j.Run
	j.Run = func(ctx context.Context) (int64, error) {
		rows, err := run(ctx)
		if ctx.Err() != nil {
			return rows, err
		}
		n, err2 := next(ctx)
		return rows + n, errors.Join(err, err2)
	}
	return j
}
