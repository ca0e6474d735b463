package vergeos

import "time"

// Binary unit sizes. The VergeOS SDKs call GiB "GB": their used_ram_gb is
// MB/1024 and their tier0_used_gb is bytes/1024³. The portal labels them
// GiB/TiB, which is what they are.
const (
	MiBPerGiB   = 1024
	BytesPerGiB = 1 << 30
	BytesPerTiB = 1 << 40
)

// MBToGiB converts a RAM figure in MB (used_ram, total_ram, online_ram) to GiB.
func MBToGiB(mb int64) float64 { return float64(mb) / MiBPerGiB }

// BytesToGiB converts bytes (phys_*_used, tier_N_*) to GiB.
func BytesToGiB(b int64) float64 { return float64(b) / BytesPerGiB }

// BytesToTiB converts bytes to TiB.
func BytesToTiB(b int64) float64 { return float64(b) / BytesPerTiB }

// Percent returns part/whole×100, and 0 when whole is 0 (as the SDKs do).
func Percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole) * 100
}

// UsedRAMGiB returns UsedRAM in GiB (the SDKs' used_ram_gb).
func (r *BillingRecord) UsedRAMGiB() float64 { return MBToGiB(r.UsedRAM) }

// TotalRAMGiB returns TotalRAM in GiB.
func (r *BillingRecord) TotalRAMGiB() float64 { return MBToGiB(r.TotalRAM) }

// OnlineRAMGiB returns OnlineRAM in GiB.
func (r *BillingRecord) OnlineRAMGiB() float64 { return MBToGiB(r.OnlineRAM) }

// PhysRAMUsedGiB returns PhysRAMUsed in GiB.
func (r *BillingRecord) PhysRAMUsedGiB() float64 { return BytesToGiB(r.PhysRAMUsed) }

// PhysVRAMUsedGiB returns PhysVRAMUsed in GiB.
func (r *BillingRecord) PhysVRAMUsedGiB() float64 { return BytesToGiB(r.PhysVRAMUsed) }

// TotalStorageUsed returns the bytes used across tiers 0–5.
func (r *BillingRecord) TotalStorageUsed() int64 {
	var n int64
	for _, t := range r.Tiers {
		n += t.Used
	}
	return n
}

// TotalStorageTotal returns the capacity in bytes across tiers 0–5.
func (r *BillingRecord) TotalStorageTotal() int64 {
	var n int64
	for _, t := range r.Tiers {
		n += t.Total
	}
	return n
}

// TotalStorageUsedGiB returns TotalStorageUsed in GiB (the SDKs' total_storage_used_gb).
func (r *BillingRecord) TotalStorageUsedGiB() float64 { return BytesToGiB(r.TotalStorageUsed()) }

// TotalStorageTotalGiB returns TotalStorageTotal in GiB.
func (r *BillingRecord) TotalStorageTotalGiB() float64 { return BytesToGiB(r.TotalStorageTotal()) }

// CPUUtilization returns UsedCores/TotalCores in percent (0 without cores).
func (r *BillingRecord) CPUUtilization() float64 { return Percent(r.UsedCores, r.TotalCores) }

// RAMUtilization returns UsedRAM/TotalRAM in percent.
func (r *BillingRecord) RAMUtilization() float64 { return Percent(r.UsedRAM, r.TotalRAM) }

// GPUUtilization returns GPUs (in use)/GPUsTotal in percent.
func (r *BillingRecord) GPUUtilization() float64 { return Percent(r.GPUs, r.GPUsTotal) }

// VGPUUtilization returns VGPUs (in use)/VGPUsTotal in percent.
func (r *BillingRecord) VGPUUtilization() float64 { return Percent(r.VGPUs, r.VGPUsTotal) }

// StorageUtilization returns the used share of all tiers' capacity in percent.
func (r *BillingRecord) StorageUtilization() float64 {
	return Percent(r.TotalStorageUsed(), r.TotalStorageTotal())
}

// TierUtilization returns tier i's Used/Total in percent; 0 for a tier
// without capacity or an i outside 0–5.
func (r *BillingRecord) TierUtilization(i int) float64 {
	if i < 0 || i >= NumTiers {
		return 0
	}
	return Percent(r.Tiers[i].Used, r.Tiers[i].Total)
}

// Period returns the billed period To−From (usually one hour); 0 if To is before From.
func (r *BillingRecord) Period() time.Duration {
	if r.To <= r.From {
		return 0
	}
	return time.Duration(r.To-r.From) * time.Second
}

// Hours returns the billed period in hours, the factor pyvergeos's CSV
// example multiplies hourly rates by.
func (r *BillingRecord) Hours() float64 { return r.Period().Hours() }
