// Package billing is the domain of the Billing pages (VergeOS): the
// billing records the VergeOS sync caches, their summary, chart series and
// reconciliation over a period, and an admin's requests to have VergeOS
// generate a record now, with their state machine. It holds no SQL and no
// client: internal/cache stores and aggregates these types,
// internal/outbox delivers a generate request, internal/syncer fills the
// records.
//
// VergeOS billing is system-wide: its records name no project or tenant
// (API.md §4), so nothing here takes a portal.Scope.
package billing

import "time"

// Tiers is the number of VergeOS vSAN storage tiers (0 = fastest).
const Tiers = 6

// Record is one cached VergeOS billing record, in the upstream's units:
// Unix seconds, MB for the *RAM fields, bytes for PhysRAMUsed,
// PhysVRAMUsed and the tiers, percent for PhysTotalCPU.
type Record struct {
	Key                                string
	Created, From, To                  int64
	Sent                               int64 // 0: not reported
	Description                        string
	UsedCores, TotalCores, OnlineCores int64
	TotalNodes, OnlineNodes            int64
	RunningMachines                    int64
	UsedRAM, TotalRAM, OnlineRAM       int64 // MB
	PhysRAMUsed, PhysVRAMUsed          int64 // bytes
	PhysTotalCPU                       int64 // percent
	Tiers                              [Tiers]Tier
	GPUsTotal, GPUs, GPUsIdle          int64
	VGPUsTotal, VGPUs, VGPUsIdle       int64
	WorkloadDatapoints                 int64
	StorageDatapoints                  int64
	// SyncedAt is when the portal last wrote the row.
	SyncedAt int64
}

// Tier is one storage tier's use and capacity in bytes.
type Tier struct{ Used, Total int64 }

// StorageUsed returns the bytes used over all tiers.
func (r *Record) StorageUsed() int64 {
	var n int64
	for _, t := range r.Tiers {
		n += t.Used
	}
	return n
}

// StorageTotal returns the capacity in bytes over all tiers.
func (r *Record) StorageTotal() int64 {
	var n int64
	for _, t := range r.Tiers {
		n += t.Total
	}
	return n
}

// Reported reports whether VergeOS has sent the record (sent is set).
func (r *Record) Reported() bool { return r.Sent != 0 }

// Percent is part/whole×100, 0 without a whole: the VergeOS SDKs' rule
// (vergeos.Percent), which the summary and the pages share.
func Percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole) * 100
}

// RecordSorts are the sort keys of the records table.
var RecordSorts = []string{"from", "created", "cpu", "ram", "storage", "gpu", "vgpu", "sent"}

// RecordFilter selects billing records of a period for the records table
// and its CSV.
type RecordFilter struct {
	// From and To bound the start of the billed period: [From, To).
	From, To time.Time
	// Unsent keeps only records VergeOS has not reported (sent absent or 0).
	Unsent bool
	// Sort is one of RecordSorts ("" means from); Desc reverses it.
	Sort string
	Desc bool
	// Limit and Offset page the rows; Limit 0 means all.
	Limit, Offset int
}

// IsHourly reports whether a record spanning [from, to) is one of
// VergeOS's own hourly records (exactly one hour, ending on the hour),
// not one a generate request made.
func IsHourly(from, to int64) bool {
	return to-from == 3600 && to%3600 == 0
}
