package costs

import "time"

// History tables of VergeOS tenant usage, as stored.
const (
	HistoryShort = "short" // tenant_stats_history_short: the last day, every few minutes
	HistoryLong  = "long"  // tenant_stats_history_long: the whole history, hourly
)

// Tenant is a VergeOS tenant and the project whose usage it is ("" when
// the projects file names it for no project).
type Tenant struct {
	Key     int64
	Name    string
	Project string
}

// TierUsage is one vSAN tier of a tenant sample, in bytes (Pct: percent).
type TierUsage struct {
	Provisioned, Used, Allocated, Pct int64
}

// TenantReading is one row of a tenant history table, in the wire's units
// (pyvergeos TenantStatsHistory): RAM in MB, storage in bytes, CPU and the
// *Pct columns in percent, Timestamp in Unix seconds.
type TenantReading struct {
	TenantKey                       int64
	History                         string // HistoryShort or HistoryLong
	Timestamp                       int64
	SampleKey                       string // VergeOS $key of the row
	TotalCPU, CoreCount             int64
	RAMUsed, VRAMUsed, RAMAllocated int64
	RAMPct, IPCount                 int64
	Tiers                           [6]TierUsage
	GPUsUsed, GPUsTotal, GPUsPct    int64
	VGPUsUsed, VGPUsTotal, VGPUsPct int64
}

// Sample returns the part of the reading the ledger prices.
func (r TenantReading) Sample() TenantSample {
	s := TenantSample{Timestamp: r.Timestamp, CoreCount: r.CoreCount, RAMUsedMB: r.RAMUsed, GPUsUsed: r.GPUsUsed, VGPUsUsed: r.VGPUsUsed}
	for i, t := range r.Tiers {
		s.TierUsed[i] = t.Used
	}
	return s
}

// TenantCurrent is a tenant's current reading (tenant_stats).
type TenantCurrent struct {
	TenantKey  int64
	RAMUsed    int64     // MB
	LastUpdate time.Time // when VergeOS updated it (zero: never)
	ReadAt     time.Time
}
