package vergeos

// Summary is the usage over a set of billing records, computed as the
// VergeOS SDKs' get_summary/GetSummary compute it (API.md §4 "Derived
// values"), plus the peaks and per-tier figures the portal's pages show.
//
// SDK fields (same arithmetic, same float64 operations, so the same
// results): RecordCount, AvgCPUUtilization, PeakCPUCores,
// AvgRAMUtilization, PeakRAMGiB (the SDK's peak_ram_gb), AvgStorageUsedGiB,
// PeakStorageUsedGiB, TotalGPUs, AvgGPUsUsed, TotalVGPUs, AvgVGPUsUsed.
// The SDKs take the GPU totals from records[0] of a newest-first list;
// Summarize takes them from the newest record whatever the order.
type Summary struct {
	RecordCount int

	// AvgCPUUtilization is the mean of each record's used/total cores, in percent.
	AvgCPUUtilization float64
	// PeakCPUUtilization is the largest of those percentages.
	PeakCPUUtilization float64
	// PeakCPUCores is the largest UsedCores.
	PeakCPUCores int64

	// AvgRAMUtilization is the mean of each record's used/total RAM, in percent.
	AvgRAMUtilization float64
	// PeakRAMUtilization is the largest of those percentages.
	PeakRAMUtilization float64
	// PeakRAMGiB is the largest UsedRAM, in GiB (MB/1024).
	PeakRAMGiB float64

	// AvgStorageUsedGiB and PeakStorageUsedGiB are over the sum of tiers 0–5.
	AvgStorageUsedGiB  float64
	PeakStorageUsedGiB float64
	// AvgStorageUtilization and PeakStorageUtilization are used/total over all tiers, in percent.
	AvgStorageUtilization  float64
	PeakStorageUtilization float64

	// TotalGPUs and TotalVGPUs come from the newest record.
	TotalGPUs  int64
	TotalVGPUs int64
	// AvgGPUsUsed and AvgVGPUsUsed are the mean counts in use.
	AvgGPUsUsed  float64
	AvgVGPUsUsed float64
	// AvgGPUUtilization, PeakGPUUtilization (and the vGPU pair) are the
	// mean and largest of each record's in-use/total, in percent.
	AvgGPUUtilization   float64
	PeakGPUUtilization  float64
	AvgVGPUUtilization  float64
	PeakVGPUUtilization float64

	// Tiers holds per storage tier 0–5: the newest record's used, total and
	// percent, with the mean and peak used over the records.
	Tiers [NumTiers]TierSummary

	// Newest is the newest record (largest Created; the first one on a tie);
	// its zero value when there are no records.
	Newest BillingRecord
	// FirstCreated and LastCreated bound the records' Created (Unix seconds).
	FirstCreated, LastCreated int64
}

// TierSummary is one storage tier over a range.
type TierSummary struct {
	// Used and Total are the newest record's bytes; Percent is Used/Total×100 (0 without capacity).
	Used, Total int64
	Percent     float64
	// AvgUsed and PeakUsed are the mean and largest used bytes over the records.
	AvgUsed  float64
	PeakUsed int64
}

// Summarize computes the Summary of records. Averages are sums in the
// order given divided by the count, as the SDKs do (they sum newest
// first, the order List returns by default). No records give a zero
// Summary.
func Summarize(records []BillingRecord) Summary {
	var s Summary
	s.RecordCount = len(records)
	if len(records) == 0 {
		return s
	}
	var cpu, ram, storage, storagePct, gpus, vgpus, gpuPct, vgpuPct float64
	var tierUsed [NumTiers]float64
	newest := 0
	s.FirstCreated, s.LastCreated = records[0].Created, records[0].Created
	for i := range records {
		r := &records[i]
		if r.Created > records[newest].Created {
			newest = i
		}
		s.FirstCreated, s.LastCreated = min(s.FirstCreated, r.Created), max(s.LastCreated, r.Created)

		c, m, used := r.CPUUtilization(), r.RAMUtilization(), r.TotalStorageUsedGiB()
		sp, gp, vp := r.StorageUtilization(), r.GPUUtilization(), r.VGPUUtilization()
		cpu, ram, storage, storagePct, gpuPct, vgpuPct = cpu+c, ram+m, storage+used, storagePct+sp, gpuPct+gp, vgpuPct+vp
		gpus += float64(r.GPUs)
		vgpus += float64(r.VGPUs)

		s.PeakCPUCores = peak(i, s.PeakCPUCores, r.UsedCores)
		s.PeakRAMGiB = peak(i, s.PeakRAMGiB, r.UsedRAMGiB())
		s.PeakStorageUsedGiB = peak(i, s.PeakStorageUsedGiB, used)
		s.PeakCPUUtilization = peak(i, s.PeakCPUUtilization, c)
		s.PeakRAMUtilization = peak(i, s.PeakRAMUtilization, m)
		s.PeakStorageUtilization = peak(i, s.PeakStorageUtilization, sp)
		s.PeakGPUUtilization = peak(i, s.PeakGPUUtilization, gp)
		s.PeakVGPUUtilization = peak(i, s.PeakVGPUUtilization, vp)
		for t := range NumTiers {
			tierUsed[t] += float64(r.Tiers[t].Used)
			s.Tiers[t].PeakUsed = peak(i, s.Tiers[t].PeakUsed, r.Tiers[t].Used)
		}
	}
	n := float64(len(records))
	s.AvgCPUUtilization, s.AvgRAMUtilization, s.AvgStorageUsedGiB = cpu/n, ram/n, storage/n
	s.AvgStorageUtilization, s.AvgGPUUtilization, s.AvgVGPUUtilization = storagePct/n, gpuPct/n, vgpuPct/n
	s.AvgGPUsUsed, s.AvgVGPUsUsed = gpus/n, vgpus/n

	s.Newest = records[newest]
	s.TotalGPUs, s.TotalVGPUs = s.Newest.GPUsTotal, s.Newest.VGPUsTotal
	for t := range NumTiers {
		nt := s.Newest.Tiers[t]
		s.Tiers[t].Used, s.Tiers[t].Total, s.Tiers[t].Percent = nt.Used, nt.Total, Percent(nt.Used, nt.Total)
		s.Tiers[t].AvgUsed = tierUsed[t] / n
	}
	return s
}

// peak returns v for the first record (Python's max() over the list) and
// the larger of cur and v after it, so negative values are not hidden by
// the zero start.
func peak[T int64 | float64](i int, cur, v T) T {
	if i == 0 || v > cur {
		return v
	}
	return cur
}
