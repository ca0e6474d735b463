package vergeos

import (
	"strconv"
	"time"
)

// NumTiers is the number of vSAN storage tiers a billing record reports (0 = fastest).
const NumTiers = 6

// BillingRecord is one row of the VergeOS `billing` table: system-wide
// usage over the period From→To, written at Created. All 38 fields of
// API.md §4 are here; tier_N_used/tier_N_total are Tiers[N]. Units are the
// wire units: Unix seconds, MB for the *_ram fields, bytes for phys_* and
// tiers, percent for PhysTotalCPU. A field missing from the answer is zero.
type BillingRecord struct {
	// Key is the row's $key.
	Key Key `json:"$key"`
	// Created is when the record was written (Unix seconds).
	Created int64 `json:"created"`
	// From and To bound the billed period (Unix seconds); usually one hour.
	From int64 `json:"from"`
	To   int64 `json:"to"`
	// Sent is when the record was sent/reported (Unix seconds); 0 (or
	// absent on the wire) means not reported: use SentAt.
	Sent        int64  `json:"sent"`
	Description string `json:"description"`

	// UsedCores, TotalCores and OnlineCores count vCPU cores in use, installed and online.
	UsedCores   int64 `json:"used_cores"`
	TotalCores  int64 `json:"total_cores"`
	OnlineCores int64 `json:"online_cores"`
	// TotalNodes, OnlineNodes and RunningMachines are counts.
	TotalNodes      int64 `json:"total_nodes"`
	OnlineNodes     int64 `json:"online_nodes"`
	RunningMachines int64 `json:"running_machines"`
	// UsedRAM, TotalRAM and OnlineRAM are in MB (the SDKs' "GB" is MB/1024).
	UsedRAM   int64 `json:"used_ram"`
	TotalRAM  int64 `json:"total_ram"`
	OnlineRAM int64 `json:"online_ram"`
	// PhysRAMUsed and PhysVRAMUsed are in bytes.
	PhysRAMUsed  int64 `json:"phys_ram_used"`
	PhysVRAMUsed int64 `json:"phys_vram_used"`
	// PhysTotalCPU is the physical CPU use in percent.
	PhysTotalCPU int64 `json:"phys_total_cpu"`

	// Tiers holds tier_0_used/tier_0_total … tier_5_used/tier_5_total, in bytes.
	// A tier the system does not have is zero.
	Tiers [NumTiers]Tier `json:"-"`

	// GPUsTotal, GPUs (in use: the wire field is "gpus") and GPUsIdle count physical GPUs.
	GPUsTotal int64 `json:"gpus_total"`
	GPUs      int64 `json:"gpus"`
	GPUsIdle  int64 `json:"gpus_idle"`
	// VGPUsTotal, VGPUs (in use) and VGPUsIdle count vGPUs.
	VGPUsTotal int64 `json:"vgpus_total"`
	VGPUs      int64 `json:"vgpus"`
	VGPUsIdle  int64 `json:"vgpus_idle"`
	// WorkloadDatapoints and StorageDatapoints count the samples folded into the record.
	WorkloadDatapoints int64 `json:"workload_datapoints"`
	StorageDatapoints  int64 `json:"storage_datapoints"`
}

// Tier is one vSAN tier's use and capacity, in bytes.
type Tier struct {
	Used  int64
	Total int64
}

// Fields is the `fields` list the client asks for: all 38 billing fields,
// in the order of API.md §4 (the same list as pyvergeos's _default_fields).
var Fields = []string{
	"$key", "created", "from", "to", "sent", "description",
	"used_cores", "total_cores", "online_cores", "total_nodes", "online_nodes", "running_machines",
	"used_ram", "total_ram", "online_ram", "phys_ram_used", "phys_vram_used", "phys_total_cpu",
	"tier_0_used", "tier_0_total", "tier_1_used", "tier_1_total", "tier_2_used", "tier_2_total",
	"tier_3_used", "tier_3_total", "tier_4_used", "tier_4_total", "tier_5_used", "tier_5_total",
	"gpus_total", "gpus", "gpus_idle", "vgpus_total", "vgpus", "vgpus_idle",
	"workload_datapoints", "storage_datapoints",
}

// Key is a row's $key. VergeOS sends it as a number on some tables (billing)
// and as a string on others (create replies), so it is kept as text: "1",
// "abc123def456". The zero Key means absent.
type Key string

// Int64 returns the key as an integer, and false when it is not one.
func (k Key) Int64() (int64, bool) {
	n, err := strconv.ParseInt(string(k), 10, 64)
	return n, err == nil
}

// KeyOf returns the Key for an integer $key.
func KeyOf(n int64) Key { return Key(strconv.FormatInt(n, 10)) }

// CreatedAt returns Created as a UTC time.
func (r *BillingRecord) CreatedAt() time.Time { return unixUTC(r.Created) }

// FromAt returns From, the start of the billed period, as a UTC time.
func (r *BillingRecord) FromAt() time.Time { return unixUTC(r.From) }

// ToAt returns To, the end of the billed period, as a UTC time.
func (r *BillingRecord) ToAt() time.Time { return unixUTC(r.To) }

// SentAt returns when the record was reported, and false when it was not
// (sent absent or 0).
func (r *BillingRecord) SentAt() (time.Time, bool) {
	if r.Sent == 0 {
		return time.Time{}, false
	}
	return unixUTC(r.Sent), true
}

// Reported reports whether the record has been sent (sent is set and not 0).
func (r *BillingRecord) Reported() bool { return r.Sent != 0 }

func unixUTC(s int64) time.Time { return time.Unix(s, 0).UTC() }

// String returns the key's text.
func (k Key) String() string { return string(k) }
