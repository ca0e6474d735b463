package syncer

import (
	"context"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/portal"
)

// VergeOSSource is what the VergeOS sync reads; *vergeos.Client implements it.
type VergeOSSource interface {
	Each(ctx context.Context, q vergeos.Query, fn func(page []vergeos.BillingRecord) error) error
}

// VergeOSStore is where the VergeOS sync writes; *cache.DB implements it.
type VergeOSStore interface {
	BillingHighWater(ctx context.Context) (int64, bool, error)
	UpsertBillingRecords(ctx context.Context, records []billing.Record) (int64, error)
}

// VergeOSRefresh is how far before the high-water mark each run reads
// again. VergeOS may set a record's `sent` some time after writing it, and
// two records can share a created second of which only one was visible at
// the last run; re-reading a short window and upserting by key catches
// both for the price of one small page.
const VergeOSRefresh = 48 * time.Hour

// VergeOSJob returns the VergeOS billing sync: incremental by `created`.
// The first run reads the whole history; later runs read the records
// created at or after the high-water mark (the newest cached created)
// minus VergeOSRefresh, oldest first. Each page is upserted by $key in its
// own transaction, so a run that fails half-way keeps what it wrote and the
// next run continues from there; nothing is ever deleted. The job returns
// the number of records that were new or changed.
func VergeOSJob(src VergeOSSource, store VergeOSStore, interval time.Duration) Job {
	return Job{Upstream: portal.UpstreamVergeOS, Interval: interval, Run: func(ctx context.Context) (int64, error) {
		return SyncVergeOS(ctx, src, store)
	}}
}

// SyncVergeOS runs one VergeOS billing sync (see VergeOSJob).
func SyncVergeOS(ctx context.Context, src VergeOSSource, store VergeOSStore) (int64, error) {
	hw, ok, err := store.BillingHighWater(ctx)
	if err != nil {
		return 0, err
	}
	q := vergeos.Query{Sort: "+created"}
	if ok {
		// "ge", not "gt": a record written in the same second as the
		// newest one we hold, after we read, is picked up too.
		q.Filter = "created ge " + strconv.FormatInt(hw-int64(VergeOSRefresh/time.Second), 10)
	}
	// Each page is stored by a goroutine of its own while the next one is
	// read; a failed write stops the reading.
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queue, done := make(chan []billing.Record, 1), make(chan error, 1)
	var rows int64
	go func() {
		var err error
		for b := range queue {
			if err != nil {
				continue
			}
			n, werr := store.UpsertBillingRecords(wctx, b)
			rows += n
			if werr != nil {
				err = werr
				cancel(werr)
			}
		}
		done <- err
	}()
	err = src.Each(wctx, q, func(page []vergeos.BillingRecord) error {
		batch := make([]billing.Record, 0, len(page))
		for i := range page {
			batch = append(batch, BillingRecordFromVergeOS(&page[i]))
		}
		select {
		case queue <- batch:
			return nil
		case <-wctx.Done():
			return context.Cause(wctx)
		}
	})
	close(queue)
	if werr := <-done; werr != nil {
		err = werr
	}
	return rows, err
}

// BillingRecordFromVergeOS converts a record from the client to the
// cache's form; both keep the upstream's units.
func BillingRecordFromVergeOS(r *vergeos.BillingRecord) billing.Record {
	c := billing.Record{
		Key: string(r.Key), Created: r.Created, From: r.From, To: r.To, Sent: r.Sent, Description: r.Description,
		UsedCores: r.UsedCores, TotalCores: r.TotalCores, OnlineCores: r.OnlineCores,
		TotalNodes: r.TotalNodes, OnlineNodes: r.OnlineNodes, RunningMachines: r.RunningMachines,
		UsedRAM: r.UsedRAM, TotalRAM: r.TotalRAM, OnlineRAM: r.OnlineRAM,
		PhysRAMUsed: r.PhysRAMUsed, PhysVRAMUsed: r.PhysVRAMUsed, PhysTotalCPU: r.PhysTotalCPU,
		GPUsTotal: r.GPUsTotal, GPUs: r.GPUs, GPUsIdle: r.GPUsIdle,
		VGPUsTotal: r.VGPUsTotal, VGPUs: r.VGPUs, VGPUsIdle: r.VGPUsIdle,
		WorkloadDatapoints: r.WorkloadDatapoints, StorageDatapoints: r.StorageDatapoints,
	}
	for i := range c.Tiers {
		c.Tiers[i] = billing.Tier{Used: r.Tiers[i].Used, Total: r.Tiers[i].Total}
	}
	return c
}
